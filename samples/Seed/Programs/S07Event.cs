namespace GeventSharp.Samples.Seed;

/// <summary>S7: a setter sleeps 3 s then sets an <see cref="Event"/>; five waiters block on it and all wake.</summary>
public static class S07Event
{
    public static async Task Run()
    {
        var evt = new Event();

        async Task Setter()
        {
            Console.WriteLine("Wait for me");
            await Gevent.Sleep(3); // wakes every greenlet waiting on evt after 3 seconds
            Console.WriteLine("Ok, I'm done");
            evt.Set();
        }

        async Task Waiter()
        {
            Console.WriteLine("I'll wait for you");
            await evt.WaitAsync();
            Console.WriteLine("Finish waiting");
        }

        await Gevent.JoinAllAsync(new[]
        {
            Gevent.Spawn(Setter),
            Gevent.Spawn(Waiter),
            Gevent.Spawn(Waiter),
            Gevent.Spawn(Waiter),
            Gevent.Spawn(Waiter),
            Gevent.Spawn(Waiter),
        });
    }
}
