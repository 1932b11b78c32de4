using System.Diagnostics;

namespace GeventSharp;

/// <summary>
/// A counter of permits: <see cref="AcquireAsync(TimeSpan?, CancellationToken)"/> takes one,
/// waiting while there are none; <see cref="Release"/> gives one back (gevent's <c>gevent.lock.Semaphore</c>).
/// </summary>
/// <remarks>
/// <para><b>Fair (FIFO)</b>: a release hands the permit straight to the greenlet that has waited
/// longest, which is scheduled on the hub (never run inside <see cref="Release"/>). A greenlet
/// that releases and acquires again at once queues behind the waiters: nobody barges.</para>
/// <para>A waiter that times out returns false and holds nothing. A waiter killed (or interrupted
/// by a <see cref="Timeout"/> or its token) while waiting — or after the permit was handed to it
/// but before it ran — throws and holds nothing: the permit goes to the next waiter.</para>
/// <para><see cref="WaitAsync(TimeSpan?, CancellationToken)"/> waits until a permit could be taken
/// without blocking, without taking it.</para>
/// <para>Name clash: <c>System.Threading.Semaphore</c> is imported by implicit usings; outside the
/// <c>GeventSharp</c> namespace add <c>using Semaphore = GeventSharp.Semaphore;</c>.</para>
/// </remarks>
/// <example>
/// <code>
/// var sem = new Semaphore(2);
/// using (await sem.AcquireScopeAsync())
/// {
///     // at most two greenlets run this block at a time
/// }
/// </code>
/// </example>
[DebuggerDisplay("{ToString(),nq}")]
public class Semaphore : Waitable, IWakeHandoff, ILockScopeTarget
{
    private readonly int _initial;
    private readonly SemaphoreKind _kind;
    private int _counter;
    private WaitList? _acquirers;

    /// <summary>Creates a semaphore with <paramref name="value"/> permits.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is negative.</exception>
    public Semaphore(int value = 1)
        : this(value, SemaphoreKind.Plain)
    {
    }

    private protected Semaphore(int value, SemaphoreKind kind)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        _initial = value;
        _counter = value;
        _kind = kind;
    }

    /// <summary>Free permits now (gevent's <c>counter</c>).</summary>
    public int Counter => _counter;

    /// <summary>True when an acquire would block (gevent's <c>locked()</c>).</summary>
    public bool Locked => _kind != SemaphoreKind.Dummy && _counter <= 0;

    /// <summary>True when a permit is free.</summary>
    public sealed override bool Ready => _kind == SemaphoreKind.Dummy || _counter > 0;

    /// <summary>Greenlets waiting to acquire.</summary>
    public int AcquirerCount => _acquirers?.Count ?? 0;

    /// <summary>
    /// Takes a permit. If none is free: waits until one is handed over, the timeout elapses, or the
    /// token is cancelled. A zero timeout never blocks; <see cref="TryAcquire"/> is the form that
    /// does not wait.
    /// </summary>
    /// <param name="timeout">The longest to wait; null waits as long as it takes.</param>
    /// <param name="cancellationToken">Interrupts the wait with <see cref="OperationCanceledException"/>.</param>
    /// <returns>True if a permit was taken (release it later), false if not.</returns>
    public ValueTask<bool> AcquireAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        if (TryAcquire())
        {
            return new ValueTask<bool>(true);
        }

        Greenlet current = Hub.CurrentGreenletOrThrow("Semaphore.AcquireAsync");
        long ticks = current.Hub.TimeoutToTicks(timeout);
        if (ticks == 0)
        {
            return new ValueTask<bool>(false);
        }

        return current.SuspendOn(this, _acquirers ??= new WaitList(), ticks, cancellationToken);
    }

    /// <summary>Takes a permit, waiting up to <paramref name="timeoutSeconds"/>; see <see cref="AcquireAsync(TimeSpan?, CancellationToken)"/>.</summary>
    public ValueTask<bool> AcquireAsync(double timeoutSeconds, CancellationToken cancellationToken = default)
        => AcquireAsync(Gevent.SecondsToTimeSpan(timeoutSeconds, nameof(timeoutSeconds)), cancellationToken);

    /// <summary>Takes a permit if one is free now; never blocks.</summary>
    public bool TryAcquire()
    {
        if (_kind == SemaphoreKind.Dummy)
        {
            return true;
        }

        if (_counter > 0)
        {
            // A free permit means nobody waits: releases hand permits to waiters directly.
            _counter--;
            return true;
        }

        return false;
    }

    /// <summary>
    /// Gives a permit back: to the longest waiter if there is one (scheduled, not run here),
    /// otherwise to the counter, waking <see cref="WaitAsync(TimeSpan?, CancellationToken)"/> waiters and links.
    /// </summary>
    /// <exception cref="SemaphoreFullException">A <see cref="BoundedSemaphore"/> released more often than acquired.</exception>
    /// <exception cref="InvalidOperationException">A <see cref="Lock"/> released while unlocked, or not called on a hub thread.</exception>
    public void Release()
    {
        Hub hub = Hub.CurrentOrThrow("Semaphore.Release");
        switch (_kind)
        {
            case SemaphoreKind.Dummy:
                return;
            case SemaphoreKind.Bounded when _counter >= _initial:
                throw new SemaphoreFullException("Semaphore released too many times");
            case SemaphoreKind.Lock when _counter >= 1:
                throw new InvalidOperationException("release unlocked lock: this Lock is not held.");
        }

        ReleaseCore(hub);
    }

    private void ReleaseCore(Hub hub)
    {
        Greenlet? next = _acquirers?.Dequeue();
        if (next is not null)
        {
            next.WakeFromList(true, this); // the permit travels with the wake
            return;
        }

        _counter++;
        NotifyAll(hub);
    }

    bool IWakeHandoff.OnWakeAbandoned(Greenlet greenlet)
    {
        ReleaseCore(greenlet.Hub); // the permit it was handed goes to the next waiter
        return false;
    }

    /// <summary>
    /// Waits until a permit is free (without taking it), the timeout elapses, or the token is cancelled.
    /// </summary>
    /// <returns>True if a permit is free, false if the timeout elapsed first.</returns>
    public ValueTask<bool> WaitAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        => WaitUntilReadyAsync("Semaphore.WaitAsync", timeout, cancellationToken);

    /// <summary>Waits until a permit is free or <paramref name="seconds"/> elapse.</summary>
    public ValueTask<bool> WaitAsync(double seconds, CancellationToken cancellationToken = default)
        => WaitAsync(Gevent.SecondsToTimeSpan(seconds, nameof(seconds)), cancellationToken);

    /// <summary>
    /// Takes a permit (waiting as long as it takes) and returns a scope that releases it:
    /// <c>using (await sem.AcquireScopeAsync()) { ... }</c> — gevent's <c>with sem:</c>.
    /// </summary>
    public ValueTask<LockScope> AcquireScopeAsync(CancellationToken cancellationToken = default)
        => TryAcquire() ? new ValueTask<LockScope>(new LockScope(this)) : AcquireScopeSlowAsync(null, cancellationToken);

    /// <summary>Like <see cref="AcquireScopeAsync(CancellationToken)"/>, but throws <see cref="Timeout"/> if no permit comes within <paramref name="timeout"/>.</summary>
    public ValueTask<LockScope> AcquireScopeAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
        => TryAcquire() ? new ValueTask<LockScope>(new LockScope(this)) : AcquireScopeSlowAsync(timeout, cancellationToken);

    /// <summary>Like <see cref="AcquireScopeAsync(TimeSpan, CancellationToken)"/>, with the timeout in seconds (as gevent).</summary>
    public ValueTask<LockScope> AcquireScopeAsync(double timeoutSeconds, CancellationToken cancellationToken = default)
        => AcquireScopeAsync(Gevent.SecondsToTimeSpan(timeoutSeconds, nameof(timeoutSeconds)), cancellationToken);

    private ValueTask<LockScope> AcquireScopeSlowAsync(TimeSpan? timeout, CancellationToken cancellationToken)
    {
        Greenlet current = Hub.CurrentGreenletOrThrow("Semaphore.AcquireScopeAsync");
        if (timeout == TimeSpan.Zero)
        {
            throw new Timeout(timeout);
        }

        return LockScopeOperation.Start(this, current, _acquirers ??= new WaitList(), timeout, cancellationToken);
    }

    void ILockScopeTarget.ReleaseScope() => Release();

    /// <summary>Like <c>&lt;BoundedSemaphore counter=0/2, 3 acquirers&gt;</c>.</summary>
    public sealed override string ToString()
    {
        if (_kind == SemaphoreKind.Dummy)
        {
            return "<DummySemaphore>";
        }

        int n = AcquirerCount;
        string waiting = n == 1 ? "1 acquirer" : $"{n} acquirers";
        if (WaiterCount > 0)
        {
            waiting += ", " + WaitersText;
        }

        return $"<{GetType().Name} counter={_counter}/{_initial}, {waiting}>";
    }
}

/// <summary>The variants of <see cref="Semaphore"/>; they differ only in what Release checks.</summary>
internal enum SemaphoreKind : byte
{
    Plain,
    Bounded,
    Lock,
    Dummy,
}
