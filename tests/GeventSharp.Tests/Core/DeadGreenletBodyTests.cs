using GeventSharp.Testing;
using Xunit;

namespace GeventSharp.Tests.Core;

/// <summary>
/// What a dead greenlet keeps of its function: the delegate itself when it captured nothing (its
/// target is the compiler's stateless singleton), only the method when it captured something, so
/// a dead greenlet holds no user state and still has its name.
/// </summary>
public class DeadGreenletBodyTests
{
    private readonly HubHarness _h = new();

    private static readonly Action s_nothingCaptured = () => { };

    [Fact]
    public void TheCompilersSingletonForLambdasThatCaptureNothing_HoldsNothing()
    {
        Assert.NotNull(s_nothingCaptured.Target); // a lambda's target is never null: here, the <>c singleton
        Assert.True(GreenletNames.HoldsNothing(s_nothingCaptured.Target!));
        Assert.True(GreenletNames.HoldsNothing(GenericHost<int>().Target!)); // a generic method's: <>c__N`1
        Assert.True(GreenletNames.HoldsNothing(s_nothingCaptured.Target!)); // asked again: the cached answer
    }

    [Fact]
    public void ClosuresAndInstances_HoldSomething()
    {
        int captured = 1;
        Action closure = () => captured++;
        Action onInstance = new Counter().Add;
        Assert.False(GreenletNames.HoldsNothing(closure.Target!)); // <>c__DisplayClass…: the captured variable
        Assert.False(GreenletNames.HoldsNothing(onInstance.Target!));
        Assert.False(GreenletNames.HoldsNothing(closure.Target!)); // asked again: the cached answer
        Assert.True(GreenletNames.HoldsNothing(s_nothingCaptured.Target!));
    }

    [Fact]
    public void ADeadGreenletOfALambdaThatCapturesNothing_KeepsTheDelegate_AndItsName()
    {
        _h.Run(async () =>
        {
            var g = Gevent.Spawn(s_nothingCaptured);
            string name = g.Name;
            await g.JoinAsync();
            Assert.Same(s_nothingCaptured, g.Function); // no MethodInfo asked for (slow under Native AOT)
            Assert.Equal(name, g.Name);
        });
    }

    [Fact]
    public void ADeadGreenletOfAClosure_KeepsOnlyTheMethod()
    {
        _h.Run(async () =>
        {
            int runs = 0;
            var g = Gevent.Spawn(() => { runs++; });
            string name = g.Name;
            await g.JoinAsync();
            Assert.Equal(1, runs);
            Assert.IsAssignableFrom<System.Reflection.MethodInfo>(g.Function);
            Assert.Equal(name, g.Name);
        });
    }

    private static Action GenericHost<T>() => () => _ = typeof(T);

    private sealed class Counter
    {
        private int _n;

        public void Add() => _n++;
    }
}
