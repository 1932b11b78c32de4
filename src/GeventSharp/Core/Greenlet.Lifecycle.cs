using System.Runtime.CompilerServices;
using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace GeventSharp;

/// <summary>Starting the greenlet, running its function, recording how it ended, and killing it.</summary>
public partial class Greenlet
{

    /// <summary>True for the greenlet <see cref="Gevent.Run(Func{Task}, HubOptions?)"/> runs: its failure is rethrown by Run, not reported.</summary>
    internal bool IsMain => ReferenceEquals(_homeHub.Main, this);

    /// <summary>
    /// Schedules the greenlet to start at the hub's next turn. Does nothing if it was already started
    /// (or scheduled to start) or is dead, as gevent's <c>start()</c>: a greenlet runs once.
    /// </summary>
    // Once per greenlet: optimized at first call (a short program never reaches tier 1; docs/benchmarks.md, "Third pass").
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Start()
    {
        _homeHub.VerifyHubThread("Greenlet.Start");
        if (_phase != GreenletState.Unstarted)
        {
            return;
        }

        CallSpawnCallbacks();
        _phase = GreenletState.StartPending;
        _homeHub.EnqueueResume(this);
    }

    /// <summary>
    /// Schedules the greenlet to start after <paramref name="delay"/>. Does nothing if it was already
    /// started (or scheduled to start) or is dead, as gevent's <c>start_later()</c>.
    /// </summary>
    public void StartLater(TimeSpan delay)
    {
        _homeHub.VerifyHubThread("Greenlet.StartLater");
        if (_phase != GreenletState.Unstarted)
        {
            return;
        }

        CallSpawnCallbacks();
        _phase = GreenletState.StartPending;
        _pendingBody = s_startTimerArmed;
        _homeHub.AddTimer(_homeHub.Now + _homeHub.ToTicks(delay), this, StartTimerToken);
    }

    /// <summary>Schedules the greenlet to start after <paramref name="seconds"/>.</summary>
    public void StartLater(double seconds) => StartLater(Gevent.SecondsToTimeSpan(seconds, nameof(seconds)));

    /// <summary>Starts the function; records the pending task if it did not finish synchronously.</summary>
    // Once per greenlet: optimized at first call (a short program never reaches tier 1; docs/benchmarks.md, "Third pass").
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void StartBody()
    {
        _phase = GreenletState.Running;
        try
        {
            StartBodyCore(Function);
        }
        catch (Exception e)
        {
            Finish(e);
        }
    }

    /// <summary>Invokes the body delegate. Overridden by <see cref="Greenlet{T}"/> for valued bodies.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private protected virtual void StartBodyCore(object? body)
    {
        switch (body)
        {
            case Func<Task> f:
                StartFromTask(f());
                break;
            case PostedWork w:
                w.Run();
                FinishSyncStep();
                break;
            case GreenletBody b:
                StartFromTask(b.RunAsync());
                break;
            case Func<ValueTask> f:
                ValueTask vt = f();
                if (vt.IsCompleted)
                {
                    FinishFromValueTask(vt);
                }
                else if (ValueTaskParts.Source(vt) is Task pendingTask)
                {
                    _pendingBody = pendingTask;
                }
                else
                {
                    _pendingBody = ValueTaskParts.Source(vt);
                    _pendingSourceToken = ValueTaskParts.Token(vt);
                }

                break;
            case Action a:
                a();
                FinishSyncStep();
                break;
            default:
                throw new InvalidOperationException($"{this} has no function to run.");
        }
    }

    /// <summary>Marks the body synchronous (see <see cref="Flags.SyncBody"/>); for <see cref="Greenlet{T}"/>'s <c>Func&lt;T&gt;</c>.</summary>
    private protected void MarkSyncBody() => _flags |= Flags.SyncBody;

    /// <summary>
    /// The end of a synchronous body's step: it is done, unless the step left it in a library wait
    /// (code it ran inline, such as a foreign continuation that ran under the shared context, went
    /// into one), which then ends it at the end of a later step (<see cref="AfterRunningStep"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private protected void FinishSyncStep()
    {
        if (_phase == GreenletState.Running)
        {
            Finish(null);
        }
    }

    /// <summary>Finishes with the body's task if it is complete, or waits for it.</summary>
    private void StartFromTask(Task? t)
    {
        if (t is null)
        {
            throw new InvalidOperationException($"The function of {this} returned a null Task.");
        }

        if (t.IsCompleted)
        {
            FinishFromValueTask(new ValueTask(t));
        }
        else
        {
            _pendingBody = t;
        }
    }

    /// <summary>Records how a completed body ended; a <see cref="Task"/> body comes wrapped (no allocation).</summary>
    private void FinishFromValueTask(ValueTask vt)
    {
        try
        {
            vt.GetAwaiter().GetResult();
        }
        catch (Exception e)
        {
            Finish(e);
            return;
        }

        Finish(null);
    }

    /// <summary>The kill (<paramref name="killedWith"/> or a <see cref="GreenletExit"/>) among the inner exceptions of <paramref name="error"/>, if any.</summary>
    private static Exception? KillWrappedIn(Exception error, Exception? killedWith)
    {
        for (Exception? inner = error.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is GreenletExit || ReferenceEquals(inner, killedWith))
            {
                return inner;
            }
        }

        return null;
    }

    /// <summary>Records the outcome, reports a failure, wakes joiners and schedules links.</summary>
    // Once per greenlet: optimized at first call (a short program never reaches tier 1; docs/benchmarks.md, "Third pass").
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private protected void Finish(Exception? error)
    {
        Debug.Assert(_phase != GreenletState.Dead);

        // A kill that reached a foreign await surfaces as the cancellation of that await.
        Exception? pending = _rare?.Deferred?.Exception ?? _rare?.Interrupts?.Exit;
        if (pending is not null && error is OperationCanceledException)
        {
            error = pending;
        }

        // A kill delivered inside a library's await (SslStream, StreamReader...) may come back
        // wrapped (IOException: "The read operation failed", inner GreenletExit): it is still the
        // kill, not a crash to report.
        if (error is not null and not GreenletExit && KillWrappedIn(error, pending ?? _rare?.KilledWith) is { } kill)
        {
            error = kill;
        }

        if (_phase == GreenletState.Foreign)
        {
            LeaveForeign();
        }

        if (error is GreenletExit exit)
        {
            RareState.Value = exit;
            error = null;
        }

        if (error is not null)
        {
            RareState.Error = ExceptionDispatchInfo.Capture(error);
        }

        _phase = GreenletState.Dead;
        // A dead greenlet must not keep what its function captured alive; the method is enough for its name.
        if (_body is NamedBody id)
        {
            if (id.Function is Delegate { Target: { } target } closure && !GreenletNames.HoldsNothing(target))
            {
                id.Function = closure.Method;
            }

            if (id.Name is Delegate { Target: { } namedTarget } namedAfter && !GreenletNames.HoldsNothing(namedTarget))
            {
                id.Name = namedAfter.Method; // the same for the function a greenlet is named after
            }
        }
        else if (_body is Delegate { Target: { } target } closure && !GreenletNames.HoldsNothing(target))
        {
            _body = closure.Method;
        }

        _pendingBody = null;
        _rare?.Deferred?.Take();
        _waitSlot = null;
        _flags &= ~Flags.WakeFailed;
        if (_rare is { Locals: { } locals } rare)
        {
            // Greenlet-local values die with the greenlet: empty each slot now (the table's own
            // handles are only freed when it is finalized, two collections later).
            foreach (KeyValuePair<object, object> slot in locals)
            {
                ((ILocalSlot)slot.Value).Drop();
            }

            rare.Locals = null;
        }
        ForgetContinuation();
        if (_rare?.Cts is { } cts)
        {
            cts.Dispose();
            _rare.Cts = null;
        }

        LetGoOfDeadSpawner();
        _homeHub.RemoveLive(this);
        if (error is not null && !_homeHub.IsNotError(error))
        {
            _homeHub.NoteGreenletFailed();
            if (!IsMain)
            {
                _homeHub.ReportError(this, error);
            }
        }

        NotifyAll(_homeHub);
    }

    /// <summary>Stores the function's return value; used by <see cref="Greenlet{T}"/>.</summary>
    private protected void SetValue(object? value)
    {
        if (value is not null || _rare is not null)
        {
            RareState.Value = value;
        }
    }

    /// <summary>Rethrows the stored exception with its original stack.</summary>
    private protected void ThrowIfFailed() => _rare?.Error?.Throw();

    /// <summary>
    /// Raises <paramref name="exception"/> (default: a new <see cref="GreenletExit"/>) in this
    /// greenlet without waiting for it to die. A greenlet that has not started never runs.
    /// </summary>
    /// <remarks>
    /// <para>A running greenlet receives the exception at its current wait, so its <c>catch</c>,
    /// <c>finally</c> and <c>using</c> blocks run; its <see cref="CancellationToken"/> is cancelled
    /// so foreign awaits that take it are interrupted too. Killing the current greenlet throws at once.</para>
    /// <para>A <see cref="GreenletExit"/> (the default) stands: if the greenlet swallows it (a
    /// <c>catch (Exception)</c>) and waits again, that wait raises it again; the wait after a second
    /// swallow ends the greenlet on the spot. Cleanup that must wait after the kill runs in
    /// <see cref="Gevent.Shield"/>. Another exception is raised once, as gevent does.</para>
    /// </remarks>
    public void Kill(Exception? exception = null)
    {
        _homeHub.VerifyHubThread("Greenlet.Kill");
        exception ??= new GreenletExit();
        switch (_phase)
        {
            case GreenletState.Dead:
                return;
            case GreenletState.Unstarted:
            case GreenletState.StartPending:
                _pendingBody = null; // disarms a StartLater timer
                _phase = GreenletState.Running; // Finish expects a live greenlet
                Finish(exception);
                return;
            case GreenletState.Running when ReferenceEquals(_homeHub._current, this):
                if (exception is GreenletExit self)
                {
                    StandExit(self);
                }

                ExceptionDispatchInfo.Throw(exception);
                return;
            default:
                if (exception is GreenletExit exit)
                {
                    StandExit(exit); // raised again at later waits: a catch-all cannot keep the greenlet alive
                }
                else
                {
                    RareState.KilledWith = exception; // recognised even if the greenlet's code wraps it
                }

                ThrowIn(exception);
                return;
        }
    }

    /// <summary>
    /// Kills the greenlet (see <see cref="Kill(Exception?)"/>) and waits until it is dead, or
    /// until <paramref name="timeout"/> elapses.
    /// </summary>
    /// <returns>True if the greenlet is dead.</returns>
    /// <example><code>await worker.KillAsync(); // worker's finally blocks have run</code></example>
    public ValueTask<bool> KillAsync(Exception? exception = null, TimeSpan? timeout = null)
    {
        Kill(exception);
        return JoinAsync(timeout);
    }

    /// <summary>Kills the greenlet and waits up to <paramref name="timeoutSeconds"/> for it to die; see <see cref="KillAsync(Exception?, TimeSpan?)"/>.</summary>
    /// <returns>True if the greenlet is dead.</returns>
    public ValueTask<bool> KillAsync(Exception? exception, double timeoutSeconds)
        => KillAsync(exception, Gevent.SecondsToTimeSpan(timeoutSeconds, nameof(timeoutSeconds)));
}
