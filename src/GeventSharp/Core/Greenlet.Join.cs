using System.Runtime.CompilerServices;

namespace GeventSharp;

/// <summary>Waiting for the greenlet to die: join, get its result, and link callbacks.</summary>
public partial class Greenlet
{
    /// <summary>
    /// Waits until the greenlet is dead or <paramref name="timeout"/> elapses. Does not throw the
    /// greenlet's exception (use <see cref="GetAsync(TimeSpan?, CancellationToken)"/> for that).
    /// </summary>
    /// <returns>True if the greenlet is dead, false on timeout.</returns>
    public ValueTask<bool> JoinAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        if (_phase == GreenletState.Dead)
        {
            return new ValueTask<bool>(true);
        }

        Greenlet current = Hub.CurrentGreenletOrThrow("Greenlet.JoinAsync");
        if (ReferenceEquals(current, this) || !ReferenceEquals(current._homeHub, _homeHub))
        {
            ThrowCannotJoin(current);
        }

        return current.SuspendOn(this, Waiters, _homeHub.TimeoutToTicks(timeout), cancellationToken);
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)] // keeps the message building out of JoinAsync, a hot path
    private void ThrowCannotJoin(Greenlet current) => throw (ReferenceEquals(current, this)
        ? new InvalidOperationException($"{this} cannot join itself: it would wait forever.")
        : Hub.OtherHub("Greenlet.JoinAsync", this));

    /// <summary>Waits until the greenlet is dead or <paramref name="seconds"/> elapse.</summary>
    public ValueTask<bool> JoinAsync(double seconds, CancellationToken cancellationToken = default)
        => JoinAsync(Gevent.SecondsToTimeSpan(seconds, nameof(seconds)), cancellationToken);

    /// <summary>
    /// Returns the greenlet's value, or rethrows its exception with its original stack.
    /// If it is not dead yet: waits up to <paramref name="timeout"/>, then throws <see cref="Timeout"/>.
    /// <see cref="Get"/> is the form that does not wait.
    /// </summary>
    public ValueTask<object?> GetAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        if (_phase == GreenletState.Dead)
        {
            ThrowIfFailed();
            return new ValueTask<object?>(ValueAsObject);
        }

        return GetSlowAsync(timeout, cancellationToken);
    }

    /// <summary>
    /// Returns the greenlet's value or rethrows its exception, waiting up to
    /// <paramref name="timeoutSeconds"/>; throws <see cref="Timeout"/> if it is not dead by then.
    /// See <see cref="GetAsync(TimeSpan?, CancellationToken)"/>.
    /// </summary>
    public ValueTask<object?> GetAsync(double timeoutSeconds, CancellationToken cancellationToken = default)
        => GetAsync(Gevent.SecondsToTimeSpan(timeoutSeconds, nameof(timeoutSeconds)), cancellationToken);

    /// <summary>
    /// Returns the greenlet's value, or rethrows its exception, without waiting (gevent's
    /// <c>get(block=False)</c>).
    /// </summary>
    /// <exception cref="Timeout">The greenlet is not dead yet (with an empty message, as gevent's).</exception>
    public object? Get()
    {
        ThrowIfNotReadyOrFailed();
        return ValueAsObject;
    }

    /// <summary>What <see cref="Get"/> checks before it returns the value.</summary>
    private protected void ThrowIfNotReadyOrFailed()
    {
        if (_phase != GreenletState.Dead)
        {
            throw Timeout.NotReady();
        }

        ThrowIfFailed();
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<object?> GetSlowAsync(TimeSpan? timeout, CancellationToken cancellationToken)
    {
        await WaitDeadOrThrowTimeout(timeout, cancellationToken);
        ThrowIfFailed();
        return ValueAsObject;
    }

    /// <summary>Waits for death; throws <see cref="Timeout"/> if not dead in time (gevent's get semantics).</summary>
    private protected async ValueTask WaitDeadOrThrowTimeout(TimeSpan? timeout, CancellationToken cancellationToken)
    {
        if (!await JoinAsync(timeout, cancellationToken))
        {
            throw new Timeout(timeout ?? TimeSpan.Zero);
        }
    }

    /// <summary>
    /// Runs <paramref name="callback"/> on the hub after this greenlet dies (at once if it is
    /// dead already). Callbacks run in the order they were linked, after joiners are woken.
    /// </summary>
    /// <example><code>g.Link(dead =&gt; Console.WriteLine($"{dead} finished"));</code></example>
    public void Link(Action<Greenlet> callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        AddLink(Hub.CurrentOrThrow("Link"), new LinkEntry(callback, LinkKind.Any));
    }

    /// <summary>Like <see cref="Link"/>, but runs only if the greenlet succeeded.</summary>
    public void LinkValue(Action<Greenlet> callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        AddLink(Hub.CurrentOrThrow("Link"), new LinkEntry(callback, LinkKind.Value));
    }

    /// <summary>Like <see cref="Link"/>, but runs only if the greenlet failed.</summary>
    public void LinkException(Action<Greenlet> callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        AddLink(Hub.CurrentOrThrow("Link"), new LinkEntry(callback, LinkKind.Exception));
    }

    /// <summary>A greenlet takes links only from code on its own hub: its death is announced there.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private protected override void AddLink(Hub hub, LinkEntry entry)
    {
        if (!ReferenceEquals(hub, _homeHub))
        {
            throw Hub.OtherHub("Link", this);
        }

        base.AddLink(hub, entry);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal override void InvokeLink(in LinkEntry entry)
    {
        switch (entry.Kind)
        {
            case LinkKind.Any:
            case LinkKind.Value when Successful:
            case LinkKind.Exception when !Successful:
                ((Action<Greenlet>)entry.Callback)(this);
                break;
            case LinkKind.Raw:
                base.InvokeLink(entry);
                break;
        }
    }
}
