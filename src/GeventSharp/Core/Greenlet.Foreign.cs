using System.Diagnostics;

namespace GeventSharp;

/// <summary>
/// After each step: noticing that the body finished or is in a foreign await; and the exception a
/// Kill or Timeout leaves for the next library wait when it cannot fail the current one.
/// </summary>
public partial class Greenlet
{
    private int _postedCallbacks;
    private bool _inForeignCount;
    private bool _completionHooked;

    /// <summary>Called after each hub step of this greenlet: notices completion and foreign waits.</summary>
    internal void AfterStep()
    {
        if (_phase != GreenletState.Running)
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
            _phase = GreenletState.Posted;
            return;
        }

        // Not waiting on the library, not queued, not finished: a foreign await is in flight.
        _phase = GreenletState.Foreign;
        Debug.Assert(!_inForeignCount);
        _inForeignCount = true;
        _homeHub.NoteForeignEntered();
        HookCompletion();
    }

    /// <summary>Stops counting this greenlet as in a foreign await (the hub stays alive for those).</summary>
    private void LeaveForeign()
    {
        if (_inForeignCount)
        {
            _inForeignCount = false;
            _homeHub.NoteForeignLeft();
        }
    }

    /// <summary>This greenlet's synchronization context posted a continuation on the hub thread.</summary>
    internal void OnContinuationPosted() => _postedCallbacks++;

    /// <summary>
    /// The hub is about to run a continuation this greenlet posted (or one posted for it from
    /// another thread): it is running again, out of any foreign await.
    /// </summary>
    internal void OnPostedContinuationRun()
    {
        if (_postedCallbacks > 0)
        {
            _postedCallbacks--;
        }

        if (_phase is GreenletState.Foreign or GreenletState.Posted)
        {
            LeaveForeign();
            _phase = GreenletState.Running;
        }
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
        t.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(() => _homeHub.TryPostInternal(static s =>
        {
            var g = (Greenlet)s!;
            if (g._phase == GreenletState.Foreign)
            {
                g.LeaveForeign();
                g._phase = GreenletState.Running;
                g.TryFinishPendingBody();
            }
        }, this));
    }

    /// <summary>Takes the exception a Kill or Timeout left to be raised at the next wait (after it interrupted a foreign await).</summary>
    internal Exception? TakePendingException()
    {
        Exception? e = PendingException;
        PendingException = null;
        return e;
    }

    /// <summary>
    /// <see cref="ThrowIn"/> for a <see cref="Timeout"/> that fired. If the greenlet is in a foreign
    /// await, the exception waits for its next library wait, and the timeout is remembered so that
    /// the end of the timeout's scope can raise it (<see cref="TakePendingTimeoutException"/>). A wake
    /// that stands (the wait had completed before the timer fired) is not marked: its scope ends quietly.
    /// </summary>
    internal void ThrowInFromTimeout(Timeout timeout, Exception exception)
    {
        bool foreign = _phase == GreenletState.Foreign;
        ThrowIn(exception);
        if (_rare is { } rare && ReferenceEquals(rare.PendingException, exception))
        {
            rare.PendingFrom = foreign ? timeout : null;
        }
    }

    /// <summary>
    /// Takes the exception waiting for the next wait if a <see cref="Timeout"/> raised it into a
    /// foreign await; a pending kill (or a timeout behind a standing wake) stays pending.
    /// </summary>
    internal Exception? TakePendingTimeoutException()
    {
        if (_rare is { PendingException: { } pending, PendingFrom: { } timeout } rare && timeout.Raised(pending))
        {
            rare.PendingException = null;
            rare.PendingFrom = null;
            return pending;
        }

        return null;
    }

    /// <summary>Forgets <paramref name="exception"/> if it is still waiting to be raised at the next wait.</summary>
    internal void ClearPendingException(Exception exception)
    {
        if (_rare is { } rare && ReferenceEquals(rare.PendingException, exception))
        {
            rare.PendingException = null;
        }
    }
}
