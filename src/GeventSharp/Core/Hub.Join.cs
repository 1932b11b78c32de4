namespace GeventSharp;

/// <summary>Waiting for the hub to run out of work (gevent's <c>hub.join()</c>), and the hub's part of the spawn tree.</summary>
public sealed partial class Hub
{
    /// <summary>What a greenlet in <see cref="JoinAsync(TimeSpan?, CancellationToken)"/> waits on (its timer does not keep the hub busy).</summary>
    private static readonly string s_joinReason = "Hub.JoinAsync (the hub running out of work)";

    private static readonly Func<ITimerTarget, bool> s_isJoinTimer = static t => t is Greenlet g && ReferenceEquals(g.WaitingOn, s_joinReason);

    private WaitList? _joinWaiters;
    private Greenlet? _main;
    private Dictionary<object, object?>? _hubSpawnTreeLocals;

    /// <summary>The greenlet <see cref="Gevent.Run(Func{Task}, HubOptions?)"/> runs, once set.</summary>
    internal Greenlet? Main
    {
        get => _main;
        set => _main = value;
    }

    /// <summary>The spawn-tree locals of greenlets spawned by hub code (gevent gives the hub greenlet one dictionary).</summary>
    internal Dictionary<object, object?> HubSpawnTreeLocals => _hubSpawnTreeLocals ??= new Dictionary<object, object?>();

    /// <summary>
    /// Waits until the hub has nothing left to do but this wait (gevent's <c>hub.join()</c>, and
    /// <c>gevent.wait()</c> with no objects): no greenlet runnable, no timer pending, no I/O, server,
    /// foreign work or <see cref="KeepAlive"/> outstanding. Greenlets blocked forever on something no
    /// one will set do not count, as in gevent.
    /// </summary>
    /// <param name="timeout">How long to wait; null waits as long as it takes. The timeout's own timer does not count as work.</param>
    /// <param name="cancellationToken">Cancels the wait with <see cref="OperationCanceledException"/>.</param>
    /// <returns>True when the hub ran out of work, false if the timeout elapsed first.</returns>
    /// <exception cref="InvalidOperationException">Not called from a greenlet of this hub.</exception>
    /// <remarks>
    /// <see cref="Gevent.Run(Func{Task}, HubOptions?)"/> returns when its main greenlet finishes and kills
    /// the rest; await this at the end of main to let everything spawned finish first, as a gevent
    /// program's <c>gevent.get_hub().join()</c> does. Every greenlet waiting here wakes together.
    /// </remarks>
    /// <example>
    /// <code>
    /// Gevent.Run(async () =&gt;
    /// {
    ///     Gevent.Spawn(async () =&gt; { await Gevent.Sleep(1); Console.WriteLine("done"); });
    ///     await Greenlet.Current!.Hub.JoinAsync(); // after "done"
    /// });
    /// </code>
    /// </example>
    public ValueTask<bool> JoinAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        Greenlet current = CurrentGreenletOrThrow("Hub.JoinAsync");
        if (!ReferenceEquals(current.Hub, this))
        {
            throw new InvalidOperationException("Hub.JoinAsync must be called from a greenlet of that hub.");
        }

        return current.SuspendOn(s_joinReason, _joinWaiters ??= new WaitList(), TimeoutToTicks(timeout), cancellationToken);
    }

    /// <summary>Waits until the hub has nothing left to do, or <paramref name="seconds"/> elapse; see <see cref="JoinAsync(TimeSpan?, CancellationToken)"/>.</summary>
    /// <returns>True when the hub ran out of work, false if the time elapsed first.</returns>
    public ValueTask<bool> JoinAsync(double seconds, CancellationToken cancellationToken = default)
        => JoinAsync(Gevent.SecondsToTimeSpan(seconds, nameof(seconds)), cancellationToken);

    /// <summary>Called when nothing is ready: wakes the greenlets in <see cref="JoinAsync(TimeSpan?, CancellationToken)"/> if nothing else could ever happen.</summary>
    /// <returns>True if it woke them.</returns>
    private bool WakeJoinersIfOutOfWork()
    {
        if (_joinWaiters is not { Count: > 0 } joiners
            || !_inbox.IsEmpty
            || _foreignCount != 0
            || Volatile.Read(ref _keepAlive) != 0
            || _poller.HasActiveIo
            || _timers.AnyLiveExcept(s_isJoinTimer))
        {
            return false;
        }

        joiners.WakeAll(true);
        return true;
    }
}
