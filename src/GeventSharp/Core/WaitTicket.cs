using System.Runtime.CompilerServices;

namespace GeventSharp;

/// <summary>
/// One wait of one greenlet: what a primitive keeps to wake (or fail) that wait later. Acting through
/// the ticket reaches the greenlet only while it is still in that wait, so a waiter that already left
/// (timeout, kill, cancellation) and now waits on something else is never woken by mistake.
/// </summary>
/// <remarks>
/// A greenlet counts its waits (<c>Greenlet.SuspendOn</c> starts a new one), and the ticket is the
/// greenlet with the number of its wait. The default ticket is empty: it is never current and waking
/// it does nothing, which is what a wait that could not start (a pending kill) should leave behind.
/// </remarks>
internal readonly struct WaitTicket
{
    private readonly Greenlet? _greenlet;
    private readonly short _version;

    internal WaitTicket(Greenlet greenlet, short version)
    {
        _greenlet = greenlet;
        _version = version;
    }

    /// <summary>The waiting greenlet, or null for the empty ticket.</summary>
    public Greenlet? Greenlet => _greenlet;

    /// <summary>The number of the wait.</summary>
    public short Version => _version;

    /// <summary>True while the greenlet is still blocked in this wait.</summary>
    public bool IsCurrent
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _greenlet is not null && _greenlet.IsWaiting(_version);
    }

    /// <summary>Schedules the greenlet to resume with <paramref name="result"/> if it is still in this wait; false otherwise.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryWake(bool result) => _greenlet is not null && _greenlet.WakeDirect(_version, result);

    /// <summary>Fails this wait with <paramref name="exception"/> if the greenlet is still in it; false otherwise.</summary>
    public bool TryFail(Exception exception) => _greenlet is not null && _greenlet.FailWait(_version, exception);

    /// <summary>True while the greenlet is still in this wait and registered on <paramref name="list"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool IsWaitingIn(WaitList list) => _greenlet is not null && _greenlet.IsWaitingIn(list, _version);
}
