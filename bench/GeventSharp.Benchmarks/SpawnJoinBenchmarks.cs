using BenchmarkDotNet.Attributes;

namespace GeventSharp.Benchmarks;

/// <summary>
/// Spawn and join of an empty greenlet, in batches inside one <c>Gevent.Run</c> so the figure is
/// the steady-state cost per greenlet (the hub's queues are already grown); one operation is one
/// greenlet spawned, run and joined.
/// </summary>
public class SpawnJoinBenchmarks
{
    private const int Batch = 1_000;
    private const int Batches = 100;
    private const int Total = Batch * Batches;

    private static readonly Greenlet[] s_batch = new Greenlet[Batch];
    private static readonly Action s_empty = static () => { };
    private static readonly Func<Task> s_emptyAsync = static () => Task.CompletedTask;

    private static readonly Func<Task> s_joinEach = static async () =>
    {
        for (int b = 0; b < Batches; b++)
        {
            for (int i = 0; i < Batch; i++)
            {
                s_batch[i] = Gevent.Spawn(s_empty);
            }

            for (int i = 0; i < Batch; i++)
            {
                await s_batch[i].JoinAsync();
            }
        }

        Array.Clear(s_batch);
    };

    private static readonly Func<Task> s_joinEachAsyncBody = static async () =>
    {
        for (int b = 0; b < Batches; b++)
        {
            for (int i = 0; i < Batch; i++)
            {
                s_batch[i] = Gevent.Spawn(s_emptyAsync);
            }

            for (int i = 0; i < Batch; i++)
            {
                await s_batch[i].JoinAsync();
            }
        }

        Array.Clear(s_batch);
    };

    private static readonly Func<Task> s_joinAll = static async () =>
    {
        for (int b = 0; b < Batches; b++)
        {
            for (int i = 0; i < Batch; i++)
            {
                s_batch[i] = Gevent.Spawn(s_empty);
            }

            await Gevent.JoinAllAsync(s_batch);
        }

        Array.Clear(s_batch);
    };

    /// <summary><c>Spawn(Action)</c> × 1000, then <c>await g.JoinAsync()</c> on each.</summary>
    [Benchmark(OperationsPerInvoke = Total)]
    public void SpawnJoinEach() => Gevent.Run(s_joinEach);

    /// <summary>The same with a <c>Func&lt;Task&gt;</c> body that completes synchronously.</summary>
    [Benchmark(OperationsPerInvoke = Total)]
    public void SpawnJoinEach_TaskBody() => Gevent.Run(s_joinEachAsyncBody);

    /// <summary><c>Spawn(Action)</c> × 1000, then one <c>Gevent.JoinAllAsync</c>.</summary>
    [Benchmark(OperationsPerInvoke = Total)]
    public void SpawnJoinAll() => Gevent.Run(s_joinAll);
}
