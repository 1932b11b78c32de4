using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Text;

namespace GeventSharp;

/// <summary>The loop: run ready work, take posted work and due timers, sleep when idle.</summary>
public sealed partial class Hub
{
    /// <summary>Creates a hub on this thread, runs the greenlet <paramref name="createMain"/> makes until it dies, then tears down.</summary>
    internal static Greenlet RunMain(Func<Hub, Greenlet> createMain, HubOptions? options)
    {
        if (t_current is not null)
        {
            throw new InvalidOperationException(
                "This thread already runs a hub: Gevent.Run cannot be nested. Spawn a greenlet instead (Gevent.Spawn).");
        }

        var hub = new Hub(options);
        SynchronizationContext? outerContext = SynchronizationContext.Current;
        t_current = hub;
        try
        {
            GeventMetrics.Register(hub);
            Greenlet main = createMain(hub);
            main.Name = "main";
            hub.Main = main;
            main.Start();
            hub.RunUntilDead(main);
            hub.KillRemaining();
            return main;
        }
        finally
        {
            hub._closed = true;
            GeventMetrics.Unregister(hub);
            t_current = null;
            hub.StopServices();
            SynchronizationContext.SetSynchronizationContext(outerContext);
            hub._poller.Dispose();
        }
    }

    private void RunUntilDead(Greenlet main)
    {
        while (!main.Ready)
        {
            if (!Turn(allowSleep: true))
            {
                DeclareBlockedForever(main);
            }
        }

        LeaveGreenletContext();
    }

    /// <summary>
    /// One turn: take posted work and due timers, then run what was ready at the start of the
    /// turn. When nothing is ready, sleep until the next timer or posted work.
    /// </summary>
    /// <returns>False if nothing is ready and nothing could ever become ready.</returns>
    private bool Turn(bool allowSleep)
    {
        if (Volatile.Read(ref _inboxCount) != 0)
        {
            DrainInbox();
        }

        if (_timers.Count > 0)
        {
            LeaveGreenletContext();
            RunDueTimers();
        }

        int n = _ready.Count;
        if (n == 0)
        {
            LeaveGreenletContext();
            return !allowSleep || Idle();
        }

        // Busy hub: still look at I/O every turn (without sleeping), so ready sockets are not
        // starved by greenlets that keep yielding. The poller takes a bounded batch of events.
        if (_poller.HasActiveIo)
        {
            _poller.Wait(0);
        }

        while (n-- > 0 && _ready.Count > 0)
        {
            // Read the slot into locals and clear it: no struct copy through write barriers.
            ref WorkItem slot = ref _ready.DequeueSlot();
            Greenlet? g = slot.Greenlet;
            Delegate? callback = slot.Callback;
            object? state = slot.State;
            slot = default;
            if (callback is null)
            {
                RunStep(g!);
            }
            else
            {
                RunCallback(g, callback, state);
            }
        }

        return true;
    }

    /// <summary>
    /// Uninstalls the last greenlet's synchronization context before hub-level work (timers,
    /// idling, teardown). Done lazily rather than after every turn: back-to-back turns of
    /// greenlet work (a Sleep(0) loop) then pay one context switch per greenlet, not one more per turn.
    /// </summary>
    private void LeaveGreenletContext()
    {
        if (_installedContextOwner != 0)
        {
            SynchronizationContext.SetSynchronizationContext(null);
            _installedContextOwner = 0;
        }
    }

    /// <summary>Installs <paramref name="g"/>'s synchronization context unless it is installed already.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void EnterGreenletContext(Greenlet g)
    {
        long id = g.Id;
        if (_installedContextOwner != id)
        {
            SynchronizationContext.SetSynchronizationContext(g.SyncContextForStep);
            _installedContextOwner = id;
        }
    }

    /// <summary>
    /// Runs a plain resume (or start) of <paramref name="g"/>: the hot path of every switch, kept
    /// apart from <see cref="RunCallback"/> so it has no callback dispatch and no null checks.
    /// </summary>
    /// <remarks>
    /// A fresh process runs a few hundred thousand switches before tiered compilation promotes
    /// anything, and as tier-0 code this step was a chain of eight calls to small helpers per switch.
    /// Its parts are now compiled optimized at their first call (<see cref="EnterStep"/>,
    /// <see cref="Greenlet.BeginStep"/>, <see cref="Greenlet.AfterStep"/>: the tier-0 step makes
    /// four calls), while this method and <see cref="Greenlet.InvokeContinuation"/> stay in the
    /// tiers: the tier-1 step inlines all of them, and dynamic PGO still devirtualises the
    /// continuation's delegate call. (<c>AggressiveOptimization</c> on this method itself, with the
    /// continuation call kept out of line for PGO, started as fast but measured ~2 ns per switch
    /// slower warm: bench/compare/notes.md, branch <c>cold7</c>.)
    /// </remarks>
    private void RunStep(Greenlet g)
    {
        EnterStep(g);
        try
        {
            if (g.BeginStep())
            {
                g.InvokeContinuation();
            }

            g.AfterStep();
        }
        catch (Exception e)
        {
            ReportError(g, e);
        }
        finally
        {
            _current = null;
            Volatile.Write(ref _runCounter, _runCounter + 1);
        }
    }

    /// <summary>The start of <see cref="RunStep"/>: the greenlet becomes current and its synchronization context is installed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private void EnterStep(Greenlet g)
    {
        _current = g;
        Volatile.Write(ref _runCounter, _runCounter + 1);
        EnterGreenletContext(g);
    }

    /// <summary>Runs a posted callback, as greenlet <paramref name="g"/> (or at hub level when null).</summary>
    private void RunCallback(Greenlet? g, Delegate callback, object? state)
    {
        _current = g;
        Volatile.Write(ref _runCounter, _runCounter + 1);
        if (g is not null)
        {
            EnterGreenletContext(g);
        }
        else
        {
            LeaveGreenletContext();
        }

        try
        {
            g?.OnPostedContinuationRun();
            if (callback is Action<object?> action)
            {
                action(state);
            }
            else
            {
                ((SendOrPostCallback)callback)(state);
            }

            g?.AfterStep();
        }
        catch (Exception e)
        {
            ReportError(g, e);
        }
        finally
        {
            _current = null;
            Volatile.Write(ref _runCounter, _runCounter + 1);
        }
    }

    private void RunDueTimers()
    {
        long now = Now;
        while (_timers.TryPopDue(now, out ITimerTarget target, out long token))
        {
            try
            {
                target.OnTimer(token);
            }
            catch (Exception e)
            {
                ReportError(null, e);
            }
        }
    }

    /// <summary>Nothing is ready: wake idle waiters, or sleep until a timer or posted work.</summary>
    private bool Idle()
    {
        if (_idleWaiters is { Count: > 0 } idle)
        {
            idle.WakeAll(true);
            return true;
        }

        if (_joinWaiters is not null && WakeJoinersIfOutOfWork())
        {
            return true;
        }

        if (_timers.TryPeekDue(out long due))
        {
            long wait = due - Now;
            if (wait <= 0)
            {
                return true;
            }

            if (_autoJump is not null)
            {
                // Virtual time jumps only when nothing is happening now. Real I/O and foreign work move
                // in real time, and on a loaded machine bytes already sent over loopback (or a result
                // already computed on the thread pool) can take milliseconds to show up: give them a
                // short real-time moment first, or a timeout would fire before data that is on its way.
                if (_poller.HasActiveIo || _foreignCount > 0)
                {
                    SettleBeforeJump();
                }

                if (_inbox.IsEmpty && _ready.Count == 0)
                {
                    _autoJump.JumpTo(due);
                }

                return true;
            }

            _poller.Wait(TicksToMilliseconds(wait));
            return true;
        }

        if (!_inbox.IsEmpty)
        {
            return true;
        }

        if (_foreignCount == 0 && Volatile.Read(ref _keepAlive) == 0 && !_poller.HasActiveIo)
        {
            return false;
        }

        _poller.Wait(-1);
        return true;
    }

    /// <summary>How long (real time) a virtual-clock hub with I/O or foreign work in flight waits for it before jumping to the next timer.</summary>
    private const int AutoJumpSettleMilliseconds = 10;

    /// <summary>The longest a virtual-clock hub settles on a busy machine before it jumps anyway.</summary>
    private static readonly TimeSpan s_autoJumpSettleLimit = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Waits <see cref="AutoJumpSettleMilliseconds"/> of real time for I/O or foreign work in flight.
    /// A wait that ended late shows a busy machine, where the kernel's loopback delivery (softirq
    /// work) and thread-pool threads waited for a CPU as this thread did: then settle again, until
    /// a wait ends on time, something arrives, or <see cref="s_autoJumpSettleLimit"/> has passed.
    /// A quiet machine pays the one short wait, as before.
    /// </summary>
    private void SettleBeforeJump()
    {
        long start = Stopwatch.GetTimestamp();
        while (true)
        {
            long before = Stopwatch.GetTimestamp();
            _poller.Wait(AutoJumpSettleMilliseconds);
            long now = Stopwatch.GetTimestamp();
            bool late = Stopwatch.GetElapsedTime(before, now) > TimeSpan.FromMilliseconds(AutoJumpSettleMilliseconds + 5);
            if (!late || !_inbox.IsEmpty || _ready.Count != 0 || Stopwatch.GetElapsedTime(start, now) >= s_autoJumpSettleLimit)
            {
                return;
            }
        }
    }

    private int TicksToMilliseconds(long ticks)
    {
        double ms = Math.Ceiling(ticks * 1000.0 / _frequency);
        return ms >= int.MaxValue ? int.MaxValue - 1 : (int)ms;
    }

    /// <summary>Fails the main greenlet's wait with <see cref="LoopExitException"/>, naming every blocked greenlet.</summary>
    private void DeclareBlockedForever(Greenlet main)
    {
        var sb = new StringBuilder("This operation would block forever: no greenlet is runnable, no timer is pending, ");
        sb.Append("and no I/O or foreign work is outstanding.");
        foreach (Greenlet g in LiveGreenlets())
        {
            sb.Append("\n  ").Append(g).Append(" waits on ").Append(Describe(g.WaitingOn));
        }

        if (main.State == GreenletState.Waiting)
        {
            main.ThrowIn(new LoopExitException(sb.ToString()));
        }
        else
        {
            throw new LoopExitException(sb.ToString());
        }
    }

    internal static string Describe(object? waitingOn) => waitingOn switch
    {
        null => "nothing",
        string s => s,
        _ => waitingOn.ToString() ?? waitingOn.GetType().Name,
    };

    /// <summary>
    /// After main dies: kill every greenlet still alive (so their finally blocks run), and let them
    /// run until they are dead. Greenlets stuck in foreign awaits that ignore their token are abandoned.
    /// </summary>
    private void KillRemaining()
    {
        for (int round = 0; round < 8 && _live.Count > 0; round++)
        {
            LeaveGreenletContext();
            foreach (Greenlet g in LiveGreenlets())
            {
                if (g.State is GreenletState.Unstarted or GreenletState.StartPending or GreenletState.Waiting or GreenletState.Foreign or GreenletState.Posted)
                {
                    try
                    {
                        g.Kill();
                    }
                    catch (Exception e)
                    {
                        ReportError(g, e);
                    }
                }
            }

            // Run until nothing is ready; timers that are due run too, but the hub does not wait for later ones.
            while (_live.Count > 0 && (_ready.Count > 0 || !_inbox.IsEmpty || HasDueTimer()))
            {
                Turn(allowSleep: false);
            }
        }
    }

    private bool HasDueTimer() => _timers.TryPeekDue(out long due) && due <= Now;
}
