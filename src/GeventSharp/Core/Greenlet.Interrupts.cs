using System.Runtime.CompilerServices;

namespace GeventSharp;

/// <summary>
/// Kills and timeouts that reach their target: a kill's <see cref="GreenletExit"/> and an expired
/// timeout scope stand after their first raise, shields hold them off, and a greenlet that keeps
/// swallowing one is ended at its next wait (see docs/architecture.md, "Cancellation").
/// </summary>
public partial class Greenlet
{
    private Interrupts InterruptState => RareState.Interrupts ??= new Interrupts();

    /// <summary>How many shields this greenlet is in (0: none).</summary>
    internal int ShieldDepth => _rare?.Interrupts?.ShieldDepth ?? 0;

    /// <summary>True if a kill or timeout is deferred or stands: the next wait may raise it (for code that awaits foreign tasks).</summary>
    internal bool InterruptPending => MayInterrupt(_rare);

    /// <summary>True if a wait must look at the interrupts (the hot path tests this and nothing else).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool MayInterrupt(Rare? rare)
        => rare is not null && (rare.Deferred is { Exception: not null } || rare.Interrupts is { Standing: true });

    /// <summary>
    /// At the start of a wait: the exception it raises at once (<paramref name="early"/> completed),
    /// or, for a greenlet that swallowed its interrupt <see cref="Interrupts.MaxRaises"/> times, a wait
    /// that never completes (<paramref name="early"/> pending, the greenlet ending); false if none applies.
    /// </summary>
    private bool TryInterruptAtWait(Rare rare, out ValueTask<bool> early)
    {
        Interrupts? state = rare.Interrupts;
        int depth = state?.ShieldDepth ?? 0;
        if (rare.Deferred is { Exception: not null } deferred && deferred.Depth >= depth)
        {
            early = ValueTask.FromException<bool>(deferred.Take()!);
            return true;
        }

        if (state is { Exit: { } exit } && depth == 0)
        {
            early = RaiseStanding(exit, ref state.ExitRaises);
            return true;
        }

        if (state?.OutermostExpired() is { RaisedException: { } raised } timeout)
        {
            early = RaiseStanding(raised, ref timeout.Raises);
            return true;
        }

        early = default;
        return false;
    }

    private ValueTask<bool> RaiseStanding(Exception exception, ref int raises)
    {
        if (raises < Interrupts.MaxRaises)
        {
            raises++;
            return ValueTask.FromException<bool>(exception);
        }

        // Swallowed too often (a catch-all around the wait, in a loop): the greenlet ends here. This
        // wait never completes; AfterStep finishes the greenlet once its code has parked on it.
        InterruptState.Ending = exception;
        _waitVersion++;
        _flags &= ~(Flags.WaitDone | Flags.WakeFailed);
        _waitSlot = null;
        _phase = GreenletState.Ending;
        return new ValueTask<bool>(this, _waitVersion);
    }

    /// <summary>Finishes a greenlet whose last wait ended it (<see cref="RaiseStanding"/>); its async frames are dropped.</summary>
    private void FinishEnding() => Finish(_rare!.Interrupts!.Ending);

    /// <summary>
    /// The exception an <see cref="OperationCanceledException"/> of a foreign await stands for: a
    /// deferred kill or timeout (taken), else a standing kill or expired timeout; null if none.
    /// </summary>
    internal Exception? TakePendingException()
    {
        if (_rare is not { } rare)
        {
            return null;
        }

        if (rare.Deferred?.Take() is { } deferred)
        {
            return deferred;
        }

        if (rare.Interrupts is not { } state)
        {
            return null;
        }

        return state is { Exit: { } exit, ShieldDepth: 0 } ? exit : state.OutermostExpired()?.RaisedException;
    }

    /// <summary>Records a kill with <paramref name="exit"/>: it stands (is raised again at later waits) until the greenlet ends.</summary>
    private void StandExit(GreenletExit exit)
    {
        Interrupts state = InterruptState;
        if (state.Exit is null)
        {
            state.Exit = exit;
            state.ExitRaises = 1; // its delivery: now, or (deferred) at the first wait after a shield
        }
    }

    /// <summary>
    /// <paramref name="timeout"/> fired: its scope stands expired until it is cancelled or disposed, and
    /// it is raised now unless a shield started after it holds it off.
    /// </summary>
    internal void OnTimeoutExpired(Timeout timeout, Exception raised)
    {
        Interrupts state = InterruptState;
        state.AddExpired(timeout);
        if (timeout.ShieldDepth < state.ShieldDepth)
        {
            timeout.Raises = 0; // raised at the first wait after the shield
            return;
        }

        timeout.Raises = 1;
        ThrowInFromTimeout(timeout, raised);
    }

    /// <summary>The scope of <paramref name="timeout"/> ended: it no longer interrupts this greenlet.</summary>
    internal void OnTimeoutScopeEnded(Timeout timeout) => _rare?.Interrupts?.RemoveExpired(timeout);

    /// <summary>Enters a shield; returns the depth to give back to <see cref="EndShield"/>.</summary>
    internal int BeginShield() => ++InterruptState.ShieldDepth;

    /// <summary>Leaves the shield entered at <paramref name="depth"/>; what it held off applies from the next wait.</summary>
    internal void EndShield(int depth)
    {
        Interrupts state = InterruptState;
        if (state.ShieldDepth != depth)
        {
            throw new InvalidOperationException($"Shields of {this} must end in the reverse order they began (ending depth {depth}, in {state.ShieldDepth}).");
        }

        state.ShieldDepth--;
        if ((state.Exit is not null && state.ShieldDepth == 0) || state.OutermostExpired() is not null
            || (_rare!.Deferred is { Exception: not null } deferred && deferred.Depth >= state.ShieldDepth))
        {
            CancelToken(); // foreign work started under the shield with the greenlet's token stops now
        }
    }
}
