using BenchmarkDotNet.Attributes;

namespace GeventSharp.Benchmarks;

/// <summary>
/// 1,000,000 greenlets blocked at once on one gate (an unstarted greenlet they all join), then
/// released. One operation is one greenlet's whole life: spawn, block, wake, die; B/op is what
/// each greenlet allocates. The split into "until all are blocked" and "retained while blocked"
/// is printed by <c>-- blocked</c> (<see cref="BlockedReport"/>).
/// </summary>
public class BlockedBenchmarks
{
    internal const int Count = 1_000_000;

    [Benchmark(OperationsPerInvoke = Count)]
    public void Blocked_AsyncLambda() => Gevent.Run(() => BlockedWorkload.RunAsync(Count, BlockedBody.AsyncLambda, null));

    [Benchmark(OperationsPerInvoke = Count)]
    public void Blocked_DirectValueTask() => Gevent.Run(() => BlockedWorkload.RunAsync(Count, BlockedBody.DirectValueTask, null));
}

/// <summary>The two ways of writing a greenlet that only waits.</summary>
public enum BlockedBody
{
    /// <summary><c>async () =&gt; { await gate.JoinAsync(); }</c>: an async state machine per greenlet.</summary>
    AsyncLambda,

    /// <summary><c>() =&gt; gate.JoinAsync()</c>: the greenlet's body is the wait's ValueTask itself.</summary>
    DirectValueTask,
}

/// <summary>Phase figures of one blocked run.</summary>
public sealed class BlockedPhases
{
    public double SecondsToBlocked { get; set; }

    public long AllocatedBytes { get; set; }

    public long RetainedBytes { get; set; }
}

/// <summary>Spawns n greenlets that all block on one gate, then releases them.</summary>
internal static class BlockedWorkload
{
    public static async Task RunAsync(int n, BlockedBody body, BlockedPhases? phases)
    {
        // The gate is a greenlet that has not started: joining it blocks until it runs.
        var gate = new Greenlet(static () => { });
        Func<Task> asyncBody = async () => { await gate.JoinAsync(); };
        Func<ValueTask<bool>> directBody = () => gate.JoinAsync();
        Greenlet? last = null;

        long retainedBefore = phases is null ? 0 : GC.GetTotalMemory(forceFullCollection: true);
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        if (body == BlockedBody.AsyncLambda)
        {
            for (int i = 0; i < n; i++)
            {
                last = Gevent.Spawn(asyncBody);
            }
        }
        else
        {
            for (int i = 0; i < n; i++)
            {
                last = Gevent.Spawn(directBody);
            }
        }

        // FIFO: when main resumes, every greenlet spawned before has run up to its wait.
        await Gevent.Sleep(0);
        if (phases is not null)
        {
            phases.SecondsToBlocked = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds;
            phases.AllocatedBytes = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
            phases.RetainedBytes = GC.GetTotalMemory(forceFullCollection: true) - retainedBefore;
        }

        if (gate.WaiterCount != n)
        {
            throw new InvalidOperationException($"expected {n} blocked greenlets, found {gate.WaiterCount}");
        }

        gate.Start();
        await last!.JoinAsync();
    }
}
