using System.Runtime.CompilerServices;

namespace GeventSharp;

/// <summary>The greenlet's yes/no state, as bits of one field (a blocked greenlet is a few bytes smaller per flag).</summary>
public partial class Greenlet
{
    /// <summary>The bits of <see cref="_flags"/>.</summary>
    [Flags]
    private enum Flags : ushort
    {
        None = 0,

        /// <summary>The current wait has completed (its outcome may be read).</summary>
        WaitDone = 1 << 0,

        /// <summary>The current wait's result (false: it timed out).</summary>
        WakeResult = 1 << 1,

        /// <summary>The current wait armed a timeout timer.</summary>
        HasWaitTimer = 1 << 2,

        /// <summary>The wake cannot be taken back: a kill or timeout before the greenlet resumes is raised at its next wait.</summary>
        WakeStands = 1 << 3,

        /// <summary>The current wait failed: <see cref="_waitSlot"/> holds the exception the await raises.</summary>
        WakeFailed = 1 << 4,

        /// <summary>A continuation is parked (see <see cref="_continuationState"/>).</summary>
        HasContinuation = 1 << 5,

        /// <summary>The greenlet is counted among the hub's foreign awaits.</summary>
        InForeignCount = 1 << 6,

        /// <summary>The pending body's completion is hooked (a foreign await may finish it off the hub).</summary>
        CompletionHooked = 1 << 7,

        /// <summary><see cref="_body"/> holds the out-of-line <see cref="Rare"/> state.</summary>
        HasRare = 1 << 8,

        /// <summary>
        /// Which delegate <see cref="_continuationState"/> is for (three bits): 0, it is a plain <see cref="Action"/>;
        /// 1 to 6, one of <see cref="s_knownContinuations"/>; 7, it is a <see cref="ContinuationPair"/>.
        /// </summary>
        ContinuationKind = 7 << ContinuationKindShift,

        /// <summary>The continuation kind of a <see cref="ContinuationPair"/>.</summary>
        ContinuationPair = 7 << ContinuationKindShift,

        /// <summary>
        /// The body is synchronous (an <see cref="Action"/>, a <c>Func&lt;T&gt;</c>, or posted work): the greenlet
        /// runs under its hub's shared <see cref="HubSynchronizationContext"/>, not a context of its own, and
        /// ends at the end of the first step that leaves it running (not in a library wait).
        /// </summary>
        SyncBody = 1 << 12,
    }

    private const int ContinuationKindShift = 9;

    // The flags, read and written as the bool fields they replaced were (each write is a read-modify-write of _flags).
    private bool WaitDone
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (_flags & Flags.WaitDone) != 0;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        set => SetFlag(Flags.WaitDone, value);
    }

    private bool WakeResult
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (_flags & Flags.WakeResult) != 0;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        set => SetFlag(Flags.WakeResult, value);
    }

    private bool HasWaitTimer
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (_flags & Flags.HasWaitTimer) != 0;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        set => SetFlag(Flags.HasWaitTimer, value);
    }

    private bool WakeStands
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (_flags & Flags.WakeStands) != 0;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        set => SetFlag(Flags.WakeStands, value);
    }

    private bool HasContinuation
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (_flags & Flags.HasContinuation) != 0;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        set => SetFlag(Flags.HasContinuation, value);
    }

    private bool InForeignCount
    {
        get => (_flags & Flags.InForeignCount) != 0;
        set => SetFlag(Flags.InForeignCount, value);
    }

    private bool CompletionHooked
    {
        get => (_flags & Flags.CompletionHooked) != 0;
        set => SetFlag(Flags.CompletionHooked, value);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void SetFlag(Flags flag, bool on) => _flags = on ? _flags | flag : _flags & ~flag;
}
