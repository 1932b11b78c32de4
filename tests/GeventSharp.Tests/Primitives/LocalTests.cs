using System.Runtime.CompilerServices;
using Xunit;
using static GeventSharp.Tests.Primitives.Prim;

namespace GeventSharp.Tests.Primitives;

public sealed class LocalTests
{
    [Fact]
    public void AValueSetInOneGreenlet_IsInvisibleInAnother()
    {
        Run(async () =>
        {
            var x = new Local<int>("x");
            await GoWait(() => { x.Value = 1; Assert.Equal(1, x.Value); return Task.CompletedTask; });
            Greenlet reader = Go(() => { _ = x.Value; return Task.CompletedTask; });
            await reader.JoinAsync();
            var e = Assert.IsType<LocalValueNotSetException>(reader.Exception);
            Assert.Contains("'x'", e.Message);
        });
    }

    [Fact]
    public void TheMainGreenlet_HasItsOwnValue()
    {
        Run(async () =>
        {
            var x = new Local<string>();
            x.Value = "main";
            await GoWait(() => { x.Value = "child"; return Task.CompletedTask; });
            Assert.Equal("main", x.Value);
        });
    }

    [Fact]
    public void TryGetValue_DoesNotThrow_AndRemoveForgetsTheValue()
    {
        Run(() =>
        {
            var x = new Local<int>();
            Assert.False(x.TryGetValue(out _));
            Assert.False(x.HasValue);
            x.Value = 5;
            Assert.True(x.TryGetValue(out int v) && v == 5);
            Assert.True(x.Remove());
            Assert.False(x.HasValue);
            return Task.CompletedTask;
        });
    }

    [Fact]
    public void InitialValueFactory_RunsOncePerGreenlet()
    {
        Run(async () =>
        {
            int calls = 0;
            var x = new Local<List<int>>(() => { calls++; return new List<int>(); });
            x.Value.Add(1);
            x.Value.Add(2);
            Assert.Equal(2, x.Value.Count);
            await GoWait(() => { Assert.Empty(x.Value); return Task.CompletedTask; });
            Assert.Equal(2, calls);
            Assert.False(await Go(() => Task.FromResult(x.TryGetValue(out _)))); // TryGetValue does not run it
        });
    }

    [Fact]
    public void OutsideAGreenlet_Throws()
    {
        var x = new Local<int>();
        Assert.Throws<InvalidOperationException>(() => x.Value);
    }

    [Fact]
    public void AGreenletsValues_BecomeCollectable_WhenItDies_EvenIfTheGreenletIsStillReferenced()
    {
        var holder = new WeakHolder();
        Greenlet? keep = null;
        var x = new Local<object>();
        Run(async () =>
        {
            keep = Gevent.Spawn((Action)(() => SetFreshValue(x, holder))); // the closure does not capture the value
            await keep.GetAsync();
        });
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.NotNull(keep);
        Assert.True(keep!.Ready);
        Assert.False(holder.Weak!.IsAlive);
        GC.KeepAlive(x);
    }

    [Fact]
    public void AValue_StaysWhileItsGreenletLives()
    {
        Run(async () =>
        {
            var holder = new WeakHolder();
            var x = new Local<object>();
            var gate = new Event();
            Greenlet g = Gevent.Spawn((Func<Task>)(async () => { SetFreshValue(x, holder); await gate.WaitAsync(); }));
            await Settle();
            GC.Collect();
            Assert.True(holder.Weak!.IsAlive);
            gate.Set();
            await g.GetAsync();
        });
    }

    private sealed class WeakHolder
    {
        public WeakReference? Weak;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void SetFreshValue(Local<object> x, WeakHolder holder)
    {
        var value = new byte[1024];
        holder.Weak = new WeakReference(value);
        x.Value = value;
    }
}
