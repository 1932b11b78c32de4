namespace GeventSharp.Samples.Seed;

/// <summary>S5: a <see cref="Timeout"/> started by hand in main interrupts main's join after 2 s.</summary>
public static class S05GlobalTimeout
{
    public static async Task Run()
    {
        var timeout = new Timeout(2); // 2 seconds
        timeout.Start();

        static async Task wait() => await Gevent.Sleep(10);

        try
        {
            await Gevent.Spawn(wait).JoinAsync();
        }
        catch (Timeout)
        {
            Console.WriteLine("Could not complete");
        }
    }
}
