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

    [Benchmark(OperationsPerInvoke = Switches)]
    public void SleepZeroSwitch() => Gevent.Run(s_main);
}
