namespace GeventSharp;

/// <summary>The greenlet as a timer target: the timeout of its current wait, and <see cref="StartLater(TimeSpan)"/>.</summary>
public partial class Greenlet : ITimerTarget
{
    private const long StartTimerToken = long.MinValue;

    // Kept in _pendingBody while a StartLater timer is armed: before the body starts that field is
    // free, so the rare StartLater needs no field of its own in every greenlet.
    private static readonly object s_startTimerArmed = new();

    private bool StartTimerArmed => ReferenceEquals(_pendingBody, s_startTimerArmed);

    void ITimerTarget.OnTimer(long token)
    {
        if (token == StartTimerToken)
        {
            if (_phase == GreenletState.StartPending && StartTimerArmed)
            {
                _pendingBody = null;
                _homeHub.EnqueueResume(this);
            }

            return;
        }

        if (_phase == GreenletState.Waiting && _waitVersion == (short)token && HasWaitTimer)
        {
            HasWaitTimer = false;
            LeaveList();
            EndWaitExtras();
            WakeResult = false;
            _phase = GreenletState.Woken;
            _homeHub.EnqueueResume(this);
        }
    }

    bool ITimerTarget.IsTimerLive(long token) => token == StartTimerToken
        ? _phase == GreenletState.StartPending && StartTimerArmed
        : _phase == GreenletState.Waiting && _waitVersion == (short)token && HasWaitTimer;
}
