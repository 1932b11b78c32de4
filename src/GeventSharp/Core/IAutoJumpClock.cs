namespace GeventSharp;

/// <summary>
/// A clock the hub may move forward itself: when no greenlet is runnable and no posted work is
/// waiting, the hub jumps it to the next timer instead of sleeping (Trio's autojump clock).
/// </summary>
internal interface IAutoJumpClock
{
    /// <summary>Sets the clock's timestamp to <paramref name="timestamp"/> (never backwards).</summary>
    void JumpTo(long timestamp);
}
