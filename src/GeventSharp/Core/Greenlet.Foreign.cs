using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;

namespace GeventSharp;

/// <summary>
/// After each step: noticing that the body finished or is in a foreign await; and the exception a
/// Kill or Timeout leaves for the next library wait when it cannot fail the current one.
/// </summary>
public partial class Greenlet
{
    private int _postedCallbacks;

    /// <summary>Called after each hub step of this greenlet: notices completion and foreign waits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    internal void AfterStep()
    {
        if (_phase != GreenletState.Running)
        {
            if (_phase == GreenletState.Ending)
            {
                FinishEnding();
            }

            return;
        }

        AfterRunningStep();
    }

    /// <summary>The step left the greenlet running: it finished, posted its continuation, or is in a foreign await.</summary>
    private void AfterRunningStep()
    {
        if (TryFinishPendingBody())
        {
            return;
        }

        if ((_flags & Flags.SyncBody) != 0)
        {
            // A synchronous body that was left in a library wait by code it ran inline: that wait
            // is over and the step left it running, so it is done (it has no task to wait for).
            Finish(null);
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
        Debug.Assert(!InForeignCount);
        InForeignCount = true;
        _homeHub.NoteForeignEntered();
        HookCompletion();
    }

    /// <summary>Stops counting this greenlet as in a foreign await (the hub stays alive for those).</summary>
    private void LeaveForeign()
    {
        if (InForeignCount)
        {
            InForeignCount = false;
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
        if (_pendingBody is IValueTaskSource source)
        {
            if (source.GetStatus(_pendingSourceToken) == ValueTaskSourceStatus.Pending)
            {
                return false;
            }

            var vt = new ValueTask(source, _pendingSourceToken);
            _pendingBody = null;
            FinishFromValueTask(vt);
            return true;
        }

        if (_pendingBody is Task t)
        {
            if (!t.IsCompleted)
            {
                return false;
            }

            _pendingBody = null;
            FinishFromValueTask(new ValueTask(t));
            return true;
        }

        return false;
    }

    /// <summary>The pending body as a task, so completion off the hub (ConfigureAwait(false)) is noticed.</summary>
    private protected virtual Task? PendingBodyTask
    {
        get
        {
            if (_pendingBody is IValueTaskSource source)
            {
                _pendingBody = new ValueTask(source, _pendingSourceToken).AsTask();
            }

            return _pendingBody as Task;
        }
    }

    private void HookCompletion()
    {
        if (CompletionHooked)
        {
            return;
        }

        Task? t = PendingBodyTask;
        if (t is null)
        {
            return;
        }

        CompletionHooked = true;
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

    /// <summary>
    /// <see cref="ThrowIn"/> for a <see cref="Timeout"/> that fired. In a foreign await the exception
    /// is deferred to the next library wait and marked as the timeout's, so that the end of the
    /// timeout's scope can raise it (<see cref="DeferredThrow.TakeRaisedIntoForeignAwait"/>). Anywhere
    /// else it is an ordinary throw-in: a wake that stands (the wait had completed before the timer
    /// fired) defers it unmarked, and its scope ends quietly.
    /// </summary>
    internal void ThrowInFromTimeout(Timeout timeout, Exception exception)
    {
        if (_phase != GreenletState.Foreign)
        {
            ThrowIn(exception, timeout.ShieldDepth);
            return;
        }

        Deferred.SetRaisedIntoForeignAwait(timeout, exception);
        CancelToken();
    }
}
