namespace GeventSharp.Samples.Seed;

/// <summary>S8: like S7, but <c>Set("Hello!")</c> on an <see cref="AsyncResult{T}"/> hands a value to every waiter.</summary>
public static class S08AsyncResult
{
    public static async Task Run()
    {
        var aevt = new AsyncResult<string>();

        async Task Setter()
        {
            Console.WriteLine("Wait for me");
            await Gevent.Sleep(3);
            Console.WriteLine("Ok, I'm done");
            aevt.Set("Hello!"); // wakes the waiters and hands them the message
        }

        async Task Waiter()
        {
            Console.WriteLine("I'll wait for you");
            string message = await aevt.GetAsync();
            Console.WriteLine($"Got wake up message: {message}");
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
