using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;

namespace GeventSharp;

/// <summary>Running the greenlet's function and recording how it ended.</summary>
public partial class Greenlet
{
    private ValueTask _pendingValueTask;
    internal int _postedCallbacks;

    /// <summary>True for the greenlet <see cref="Gevent.Run(Func{Task}, HubOptions?)"/> runs: its failure is rethrown by Run, not reported.</summary>
    internal bool IsMain { get; set; }
    private bool _hasPendingValueTask;
    private bool _completionHooked;

    /// <summary>Starts the function; records the pending task if it did not finish synchronously.</summary>
    private void StartBody()
    {
        _state = GreenletState.Running;
        try
        {
            StartBodyCore(_body);
        }
        catch (Exception e)
        {
            Finish(e);
        }
    }

    /// <summary>Invokes the body delegate. Overridden by <see cref="Greenlet{T}"/> for valued bodies.</summary>
    private protected virtual void StartBodyCore(object? body)
    {
        switch (body)
        {
            case Func<Task> f:
                Task t = f() ?? throw new InvalidOperationException($"The function of {this} returned a null Task.");
                if (t.IsCompleted)
                {
                    FinishFromTask(t);
                }
                else
                {
                    _task = t;
                }

                break;
            case Func<ValueTask> f:
                ValueTask vt = f();
                if (vt.IsCompleted)
                {
                    FinishFromValueTask(vt);
                }
                else
                {
                    _pendingValueTask = vt;
                    _hasPendingValueTask = true;
                }

                break;
            case Action a:
                a();
                Finish(null);
                break;
            default:
                throw new InvalidOperationException($"{this} has no function to run.");
        }
    }

    /// <summary>Called after each hub step of this greenlet: notices completion and foreign waits.</summary>
    internal void AfterStep()
    {
        if (_state != GreenletState.Running)
        {
            return;
        }

        if (TryFinishPendingBody())
        {
            return;
        }

        if (_postedCallbacks > 0)
        {
            // It posted its own continuation (an awaiter that always posts to the captured context).
            _state = GreenletState.Posted;
            return;
        }

        // Not waiting on the library, not queued, not finished: a foreign await is in flight.
        _state = GreenletState.Foreign;
        _hub.EnterForeign(this);
        HookCompletion();
    }

    /// <summary>Finishes the greenlet if its pending body has completed.</summary>
    private protected virtual bool TryFinishPendingBody()
    {
        if (_task is { } t)
        {
            if (!t.IsCompleted)
            {
                return false;
            }

            _task = null;
            FinishFromTask(t);
            return true;
        }

        if (_hasPendingValueTask)
        {
            if (!_pendingValueTask.IsCompleted)
            {
                return false;
            }

            ValueTask vt = _pendingValueTask;
            _pendingValueTask = default;
            _hasPendingValueTask = false;
            FinishFromValueTask(vt);
            return true;
        }

        return false;
    }

    /// <summary>The pending body as a task, so completion off the hub (ConfigureAwait(false)) is noticed.</summary>
    private protected virtual Task? PendingBodyTask
    {
        get
        {
            if (_hasPendingValueTask)
            {
                _task = _pendingValueTask.AsTask();
                _pendingValueTask = default;
                _hasPendingValueTask = false;
            }

            return _task;
        }
    }

    private void HookCompletion()
    {
        if (_completionHooked)
        {
            return;
        }

        Task? t = PendingBodyTask;
        if (t is null)
        {
            return;
        }

        _completionHooked = true;
        t.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(() => _hub.TryPostInternal(static s =>
        {
            var g = (Greenlet)s!;
            if (g._state == GreenletState.Foreign)
            {
                g._hub.LeaveForeign(g);
                g._state = GreenletState.Running;
                g.TryFinishPendingBody();
            }
        }, this));
    }

    private void FinishFromTask(Task t)
    {
        try
        {
            t.GetAwaiter().GetResult();
        }
        catch (Exception e)
        {
            Finish(e);
            return;
        }

        Finish(null);
    }

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
    private protected void Finish(Exception? error)
    {
        Debug.Assert(_state != GreenletState.Dead);

        // A kill that reached a foreign await surfaces as the cancellation of that await.
        Exception? pending = PendingException;
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

        if (_state == GreenletState.Foreign)
        {
            _hub.LeaveForeign(this);
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

        _state = GreenletState.Dead;
        if (_body is Delegate { Target: not null } closure)
        {
            // A dead greenlet must not keep what its function captured alive; the method is enough for its name.
            _body = closure.Method;
        }

        _task = null;
        PendingException = null;
        _waitingOn = null;
        if (_rare is { Locals: not null } rare)
        {
            rare.Locals = null; // greenlet-local values die with the greenlet
        }
        ForgetContinuation();
        if (_rare?.Cts is { } cts)
        {
            cts.Dispose();
            _rare.Cts = null;
        }

        _hub.RemoveLive(this);
        if (error is not null && !IsMain && !_hub.IsNotError(error))
        {
            _hub.ReportError(this, error);
        }

        NotifyAll(_hub);
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
    /// A running greenlet receives the exception at its current wait, so its <c>catch</c>,
    /// <c>finally</c> and <c>using</c> blocks run; its <see cref="CancellationToken"/> is cancelled
    /// so foreign awaits that take it are interrupted too. Killing the current greenlet throws at once.
    /// </remarks>
    public void Kill(Exception? exception = null)
    {
        _hub.VerifyHubThread("Greenlet.Kill");
        exception ??= new GreenletExit();
        switch (_state)
        {
            case GreenletState.Dead:
                return;
            case GreenletState.Unstarted:
            case GreenletState.StartPending:
                _startTimerArmed = false;
                _state = GreenletState.Running; // Finish expects a live greenlet
                Finish(exception);
                return;
            case GreenletState.Running when ReferenceEquals(_hub._current, this):
                ExceptionDispatchInfo.Throw(exception);
                return;
            default:
                if (exception is not GreenletExit)
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

    /// <summary>
    /// Waits until the greenlet is dead or <paramref name="timeout"/> elapses. Does not throw the
    /// greenlet's exception (use <see cref="GetAsync(TimeSpan?, CancellationToken)"/> for that).
    /// </summary>
    /// <returns>True if the greenlet is dead, false on timeout.</returns>
    public ValueTask<bool> JoinAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        if (_state == GreenletState.Dead)
        {
            return new ValueTask<bool>(true);
        }

        Greenlet current = Hub.CurrentGreenletOrThrow("Greenlet.JoinAsync");
        if (ReferenceEquals(current, this) || !ReferenceEquals(current._hub, _hub))
        {
            ThrowCannotJoin(current);
        }

        return current.SuspendOn(this, Waiters, _hub.TimeoutToTicks(timeout), cancellationToken);
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
        if (_state == GreenletState.Dead)
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
        if (_state != GreenletState.Dead)
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
}
