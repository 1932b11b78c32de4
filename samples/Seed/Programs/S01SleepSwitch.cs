namespace GeventSharp.Samples.Seed;

/// <summary>S1: two greenlets print, yield with <c>Sleep(0)</c>, print again: <c>12 56 34 78</c>.</summary>
public static class S01SleepSwitch
{
    public static async Task Run()
    {
        static async Task Test1()
        {
            Console.WriteLine(12);
            await Gevent.Sleep(0);
            Console.WriteLine(34);
        }

        static async Task Test2()
        {
            Console.WriteLine(56);
            await Gevent.Sleep(0);
            Console.WriteLine(78);
        }

        await Gevent.JoinAllAsync(new[]
        {
            Gevent.Spawn(Test1),
            Gevent.Spawn(Test2),
        });
    }
}
