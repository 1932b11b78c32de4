using Xunit;

namespace GeventSharp.Tests.Core;

/// <summary>
/// A greenlet's name and recorded spawner live beside its function (not in the out-of-line state):
/// naming one before or after it starts must not change what it runs, what it reports, or what a
/// dead greenlet keeps alive.
/// </summary>
public class GreenletIdentityTests
{
    [Fact]
    public void NamedBeforeStart_StillRunsItsFunction_AndReportsNameAndFunction() => Gevent.Run(async () =>
    {
        int ran = 0;
        var g = new Greenlet(() => ran++) { Name = "worker" };
        Greenlet<int> typed = Gevent.Spawn(() => 7);
        typed.Name = "seven";
        g.Start();
        await Gevent.JoinAllAsync(new[] { g, typed });
        Assert.Equal(1, ran);
        Assert.Equal("worker", g.Name);
        Assert.Equal(7, await typed);
        Assert.Equal("seven", typed.Name);
        Assert.Contains("NamedBeforeStart_StillRunsItsFunction_AndReportsNameAndFunction", g.FunctionDescription, StringComparison.Ordinal);
    });

    [Fact]
    public void SpawnedWithAnArgument_IsNamedAfterTheFunction_AndCanBeRenamed() => Gevent.Run(async () =>
    {
        Greenlet g = Gevent.Spawn(Greet, "ann");
        Assert.Contains("Greet", g.FunctionDescription, StringComparison.Ordinal);
        Assert.Equal("Greet", g.Name);
        g.Name = "greeter";
        await g.JoinAsync();
        Assert.Equal("greeter", g.Name);

        static void Greet(string who)
        {
        }
    });

    [Fact]
    public void RecordedSpawner_IsReported_AndTheNameIsWorkedOutOnFirstRead() => Gevent.Run(async () =>
    {
        Greenlet child = Gevent.Spawn(Child);
        Assert.Equal(Greenlet.Current!.Id, child.SpawnerId);
        Assert.Equal("Child", child.Name);
        await child.JoinAsync();
        Assert.Equal(Greenlet.Current!.Id, child.SpawnerId);

        static void Child()
        {
        }
    }, new HubOptions { RecordSpawners = true });

    [Fact]
    public void WithoutRecording_TheSpawnerIsUnknown() => Gevent.Run(async () =>
    {
        Greenlet child = Gevent.Spawn(static () => { });
        Assert.Equal(-1, child.SpawnerId);
        await child.JoinAsync();
    }, new HubOptions { RecordSpawners = false });

    [Fact]
    public void ADeadNamedGreenlet_LetsGoOfWhatItsFunctionCaptured()
    {
        WeakReference captured = Gevent.Run(async () =>
        {
            (Greenlet g, WeakReference weak) = SpawnNamedClosure();
            await g.JoinAsync();
            Assert.Equal("named", g.Name);
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            Assert.False(weak.IsAlive); // the greenlet is still referenced here; its closure's capture is not
            GC.KeepAlive(g);
            return weak;
        });
        Assert.False(captured.IsAlive);
    }

    [Fact]
    public void AGreenlet_IsOneObjectOf160Bytes_168WithABoolResult() => Gevent.Run(() =>
    {
        // A million blocked greenlets are a million of these: the size is the figure bench/compare/notes.md quotes.
        Action action = static () => { };
        Func<ValueTask<bool>> wait = static () => default;
        _ = new Greenlet(action);
        _ = new Greenlet<bool>(wait);
        long before = GC.GetAllocatedBytesForCurrentThread();
        _ = new Greenlet(action);
        long plain = GC.GetAllocatedBytesForCurrentThread() - before;
        before = GC.GetAllocatedBytesForCurrentThread();
        _ = new Greenlet<bool>(wait);
        long typed = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.InRange(plain, 1, 160);
        Assert.InRange(typed, 1, 168); // Greenlet<bool>: its result field
    });

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static (Greenlet, WeakReference) SpawnNamedClosure()
    {
        var payload = new byte[64];
        var weak = new WeakReference(payload);
        Greenlet g = Gevent.Spawn(() => payload[0]++);
        g.Name = "named";
        return (g, weak);
    }
}
