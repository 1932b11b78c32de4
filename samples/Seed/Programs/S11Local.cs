namespace GeventSharp.Samples.Seed;

/// <summary>S11: a <see cref="Local{T}"/> set in one greenlet is not visible in another.</summary>
public static class S11Local
{
    public static async Task Run()
    {
        var x = new Local<int>("x");

        void F1()
        {
            x.Value = 1;
            Console.WriteLine(x.Value);
        }

        void F2()
        {
            try
            {
                Console.WriteLine(x.Value);
            }
            catch (LocalValueNotSetException)
            {
                Console.WriteLine("x is not visible");
            }
        }

        await Gevent.JoinAllAsync(new[]
        {
            Gevent.Spawn(F1),
            Gevent.Spawn(F2),
        });
    }
}
