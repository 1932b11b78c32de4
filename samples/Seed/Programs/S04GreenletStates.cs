namespace GeventSharp.Samples.Seed;

/// <summary>S4: a greenlet's state; an exception stays inside its greenlet and is reported when it dies.</summary>
public static class S04GreenletStates
{
    public static async Task Run()
    {
        static string win() => "You win!";
        static string fail() => throw new Exception("You failed!");

        Greenlet<string> winner = Gevent.Spawn(win);
        Greenlet<string> loser = Gevent.Spawn(fail);

        Console.WriteLine(Py.Str(winner.Started)); // True
        Console.WriteLine(Py.Str(loser.Started));  // True

        // The exception raised in the greenlet does not escape it: the hub reports it on stderr.
        try
        {
            await Gevent.JoinAllAsync(new[] { winner, loser });
        }
        catch (Exception e) when (e is not GreenletExit and not Timeout) // gevent's "except Exception"
        {
            Console.WriteLine("This will never be reached");
        }

        Console.WriteLine(Py.Str(winner.Ready));      // True
        Console.WriteLine(Py.Str(loser.Ready));       // True
        Console.WriteLine(Py.Str(winner.Value));      // You win!
        Console.WriteLine(Py.Str(loser.Value));       // None
        Console.WriteLine(Py.Str(winner.Successful)); // True
        Console.WriteLine(Py.Str(loser.Successful));  // False

        // await loser.GetAsync() (or awaiting loser) would rethrow it here.
        Console.WriteLine(Py.Str(loser.Exception));   // You failed!
    }
}
