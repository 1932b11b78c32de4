namespace GeventSharp;

/// <summary>The greenlet as a timer target: the timeout of its current wait, and <see cref="StartLater(TimeSpan)"/>.</summary>
public partial class Greenlet : ITimerTarget
{
    private const long StartTimerToken = long.MinValue;

    private bool _startTimerArmed;

    void ITimerTarget.OnTimer(long token)
    {
        if (token == StartTimerToken)
        {
            if (_phase == GreenletState.StartPending && _startTimerArmed)
            {
                _startTimerArmed = false;
                _homeHub.EnqueueResume(this);
            }

            return;
        }

        if (_phase == GreenletState.Waiting && _waitVersion == (short)token && _hasWaitTimer)
        {
            _hasWaitTimer = false;
            LeaveList();
            EndWaitExtras();
            _wakeResult = false;
            _phase = GreenletState.Woken;
            _homeHub.EnqueueResume(this);
        }
    }

    bool ITimerTarget.IsTimerLive(long token) => token == StartTimerToken
        ? _phase == GreenletState.StartPending && _startTimerArmed
        : _phase == GreenletState.Waiting && _waitVersion == (short)token && _hasWaitTimer;
}
