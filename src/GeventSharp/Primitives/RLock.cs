using System.Diagnostics;

namespace GeventSharp;

/// <summary>
/// A re-entrant lock owned by a greenlet: the owner may acquire it again (each acquire needs a
/// release), and only the owner may release it (gevent's <c>gevent.lock.RLock</c>).
/// </summary>
/// <remarks>
/// <para>Fair (FIFO): the final release hands ownership to the greenlet that has waited longest,
/// which is scheduled on the hub. A waiter killed or timed out before it ran owns nothing: the
/// lock goes to the next waiter.</para>
/// <para>Ownership is per greenlet: code on the hub outside any greenlet cannot acquire it.</para>
/// </remarks>
/// <example>
/// <code>
/// var rlock = new RLock();
/// using (await rlock.AcquireScopeAsync())
/// {
///     using (await rlock.AcquireScopeAsync()) { } // same greenlet: does not block
/// }
/// </code>
/// </example>
[DebuggerDisplay("{ToString(),nq}")]
public sealed class RLock : Waitable, IWakeHandoff, ILockScopeTarget
{
    private Greenlet? _owner;
    private int _count;
    private WaitList? _acquirers;

    /// <summary>Creates an unlocked re-entrant lock.</summary>
    public RLock()
    {
    }

    /// <summary>The greenlet holding the lock, or null.</summary>
    public Greenlet? Owner => _owner;

    /// <summary>How many times the owner has acquired it without releasing (0 when unlocked).</summary>
    public int Count => _count;

    /// <summary>True while some greenlet holds it.</summary>
    public bool Locked => _owner is not null;

    /// <summary>True when unlocked.</summary>
    public override bool Ready => _owner is null;

    /// <summary>Greenlets waiting to acquire.</summary>
    public int AcquirerCount => _acquirers?.Count ?? 0;

    /// <summary>
    /// Acquires the lock for the current greenlet: at once if it is free or already owned by this
    /// greenlet; otherwise waits up to <paramref name="timeout"/>. <see cref="TryAcquire()"/> is the
    /// form that does not wait.
    /// </summary>
    /// <returns>True if the current greenlet now holds it (release it later), false if not.</returns>
    /// <exception cref="InvalidOperationException">Not called from a greenlet.</exception>
    public ValueTask<bool> AcquireAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        Greenlet current = Hub.CurrentGreenletOrThrow("RLock.AcquireAsync");
        if (TryAcquire(current))
        {
            return new ValueTask<bool>(true);
        }

        long ticks = current.Hub.TimeoutToTicks(timeout);
        if (ticks == 0)
        {
            return new ValueTask<bool>(false);
        }

        return current.SuspendOn(this, _acquirers ??= new WaitList(), ticks, cancellationToken);
    }

    /// <summary>Acquires, waiting up to <paramref name="timeoutSeconds"/>.</summary>
    public ValueTask<bool> AcquireAsync(double timeoutSeconds, CancellationToken cancellationToken = default)
        => AcquireAsync(Gevent.SecondsToTimeSpan(timeoutSeconds, nameof(timeoutSeconds)), cancellationToken);

    /// <summary>Acquires if free or already owned by the current greenlet; never blocks.</summary>
    public bool TryAcquire() => TryAcquire(Hub.CurrentGreenletOrThrow("RLock.TryAcquire"));

    private bool TryAcquire(Greenlet current)
    {
        if (ReferenceEquals(_owner, current))
        {
            _count++;
            return true;
        }

        if (_owner is null)
        {
            _owner = current;
            _count = 1;
            return true;
        }

        return false;
    }

    /// <summary>Undoes one acquire; the last one hands the lock to the longest waiter.</summary>
    /// <exception cref="InvalidOperationException">The current greenlet does not hold the lock.</exception>
    public void Release()
    {
        Greenlet? current = Hub.CurrentOrThrow("RLock.Release")._current;
        if (_owner is null || !ReferenceEquals(_owner, current))
        {
            throw new InvalidOperationException(
                $"cannot release un-acquired lock: {current?.ToString() ?? "hub code"} does not own it (owner: {_owner?.ToString() ?? "none"}).");
        }

        if (--_count == 0)
        {
            HandOver(current.Hub);
        }
    }

    private void HandOver(Hub hub)
    {
        Greenlet? next = _acquirers?.Dequeue();
        if (next is not null)
        {
            _owner = next;
            _count = 1;
            next.WakeFromList(true, this);
            return;
        }

        _owner = null;
        _count = 0;
        NotifyAll(hub);
    }

    bool IWakeHandoff.OnWakeAbandoned(Greenlet greenlet)
    {
        Debug.Assert(ReferenceEquals(_owner, greenlet));
        HandOver(greenlet.Hub);
        return false;
    }

    /// <summary>Waits until the lock is free (without taking it), the timeout elapses, or the token is cancelled.</summary>
    /// <returns>True if it is free, false on timeout.</returns>
    public ValueTask<bool> WaitAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        => WaitUntilReadyAsync("RLock.WaitAsync", timeout, cancellationToken);

    /// <summary>Waits until the lock is free or <paramref name="seconds"/> elapse.</summary>
    public ValueTask<bool> WaitAsync(double seconds, CancellationToken cancellationToken = default)
        => WaitAsync(Gevent.SecondsToTimeSpan(seconds, nameof(seconds)), cancellationToken);

    /// <summary>Acquires (waiting as long as it takes) and returns a scope that releases: <c>using (await rlock.AcquireScopeAsync()) { }</c>.</summary>
    public ValueTask<LockScope> AcquireScopeAsync(CancellationToken cancellationToken = default)
        => AcquireScopeCoreAsync(null, cancellationToken);

    /// <summary>Like <see cref="AcquireScopeAsync(CancellationToken)"/>; throws <see cref="Timeout"/> if not acquired within <paramref name="timeout"/>.</summary>
    public ValueTask<LockScope> AcquireScopeAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
        => AcquireScopeCoreAsync(timeout, cancellationToken);

    /// <summary>Like <see cref="AcquireScopeAsync(TimeSpan, CancellationToken)"/>, with the timeout in seconds (as gevent).</summary>
    public ValueTask<LockScope> AcquireScopeAsync(double timeoutSeconds, CancellationToken cancellationToken = default)
        => AcquireScopeCoreAsync(Gevent.SecondsToTimeSpan(timeoutSeconds, nameof(timeoutSeconds)), cancellationToken);

    private ValueTask<LockScope> AcquireScopeCoreAsync(TimeSpan? timeout, CancellationToken cancellationToken)
    {
        Greenlet current = Hub.CurrentGreenletOrThrow("RLock.AcquireScopeAsync");
        if (TryAcquire(current))
        {
            return new ValueTask<LockScope>(new LockScope(this));
        }

        if (timeout == TimeSpan.Zero)
        {
            throw new Timeout(timeout);
        }

        return LockScopeOperation.Start(this, current, _acquirers ??= new WaitList(), timeout, cancellationToken);
    }

    void ILockScopeTarget.ReleaseScope() => Release();

    /// <summary>Like <c>&lt;RLock owner=&lt;Greenlet "w" #3&gt; count=2, 1 acquirer&gt;</c>.</summary>
    public override string ToString()
    {
        int n = AcquirerCount;
        return $"<RLock owner={_owner?.ToString() ?? "none"} count={_count}, {(n == 1 ? "1 acquirer" : $"{n} acquirers")}>";
    }
}
