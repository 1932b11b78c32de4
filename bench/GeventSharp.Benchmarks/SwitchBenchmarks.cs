using BenchmarkDotNet.Attributes;

namespace GeventSharp.Benchmarks;

/// <summary>
/// A context switch: two greenlets ping-pong <c>Sleep(0)</c> inside one <c>Gevent.Run</c>; one
/// operation is one <c>Sleep(0)</c> (the caller goes to the back of the ready queue, the other runs).
/// </summary>
public class SwitchBenchmarks
{
    private const int Switches = 1_000_000;

    private static readonly Func<Task> s_loop = static async () =>
    {
        for (int i = 0; i < Switches / 2; i++)
        {
            await Gevent.Sleep(0);
        }
    };

    private static readonly Func<Task> s_main = static async () =>
    {
        Greenlet a = Gevent.Spawn(s_loop);
        Greenlet b = Gevent.Spawn(s_loop);
        await a.JoinAsync();
        await b.JoinAsync();
    };

    private static readonly Func<Task> s_yieldLoop = static async () =>
    {
        for (int i = 0; i < Switches / 2; i++)
        {
            await Gevent.Yield();
        }
    };

    private static readonly Func<Task> s_yieldMain = static async () =>
    {
        Greenlet a = Gevent.Spawn(s_yieldLoop);
        Greenlet b = Gevent.Spawn(s_yieldLoop);
        await a.JoinAsync();
        await b.JoinAsync();
    };

    [Benchmark(OperationsPerInvoke = Switches)]
    public void SleepZeroSwitch() => Gevent.Run(s_main);

    /// <summary>The same switch through <c>Gevent.Yield()</c>'s struct awaiter.</summary>
    [Benchmark(OperationsPerInvoke = Switches)]
    public void YieldSwitch() => Gevent.Run(s_yieldMain);
}
