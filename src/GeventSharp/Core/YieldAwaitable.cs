using System.Runtime.CompilerServices;

namespace GeventSharp;

/// <summary>
/// What <see cref="Gevent.Yield"/> returns: awaiting it puts the greenlet at the back of the ready
/// queue, like <c>await Gevent.Sleep(0)</c>, through a struct awaiter (the cheapest switch).
/// </summary>
/// <remarks>Await it at once and once, like any library wait. A pending kill or timeout is raised by the await.</remarks>
/// <example><code>for (int i = 0; i &lt; 3; i++) { Work(i); await Gevent.Yield(); }</code></example>
public readonly struct YieldAwaitable : ICriticalNotifyCompletion
{
    private readonly Greenlet _greenlet;
    private readonly short _token;

    internal YieldAwaitable(Greenlet greenlet, short token)
    {
        _greenlet = greenlet;
        _token = token;
    }

    /// <summary>False until the hub has resumed the greenlet (true at once if a kill or timeout is pending).</summary>
    public bool IsCompleted
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        get => _greenlet.IsWaitDone(_token);
    }

    /// <summary>Returns the awaiter (this struct).</summary>
    public YieldAwaitable GetAwaiter() => this;

    /// <summary>Ends the await; throws the kill or timeout exception if one arrived.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void GetResult() => _greenlet.GetYieldResult(_token);

    /// <summary>Registers the continuation; the hub runs it in this greenlet.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void OnCompleted(Action continuation) => _greenlet.SetActionContinuation(continuation, _token);

    /// <summary>Registers the continuation; the hub runs it in this greenlet.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void UnsafeOnCompleted(Action continuation) => _greenlet.SetActionContinuation(continuation, _token);
}
