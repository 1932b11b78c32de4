using BenchmarkDotNet.Attributes;

namespace GeventSharp.Benchmarks;

/// <summary>
/// Arming and cancelling a timer, the common case of a timeout (most are cancelled before they
/// fire); one operation is one start plus one cancel, inside a greenlet.
/// </summary>
public class TimerBenchmarks
{
    private const int Ops = 100_000;

    private static readonly Action s_newEachTime = static () =>
    {
        for (int i = 0; i < Ops; i++)
        {
            Timeout.StartNew(10).Cancel();
        }
    };

    private static readonly Action s_reused = static () =>
    {
        var t = new Timeout(10);
        for (int i = 0; i < Ops; i++)
        {
            t.Start();
            t.Cancel();
        }
    };

    /// <summary><c>Timeout.StartNew(10).Cancel()</c>: a new <see cref="Timeout"/> each time.</summary>
    [Benchmark(OperationsPerInvoke = Ops)]
    public void TimeoutStartNewCancel() => Gevent.Run(s_newEachTime);

    /// <summary>One <see cref="Timeout"/> started and cancelled repeatedly: the timer heap alone.</summary>
    [Benchmark(OperationsPerInvoke = Ops)]
    public void TimeoutReusedStartCancel() => Gevent.Run(s_reused);
}
