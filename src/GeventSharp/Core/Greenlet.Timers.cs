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
            if (_state == GreenletState.StartPending && _startTimerArmed)
            {
                _startTimerArmed = false;
                _hub.EnqueueResume(this);
            }

            return;
        }

        if (_state == GreenletState.Waiting && _version == (short)token && _hasWaitTimer)
        {
            _hasWaitTimer = false;
            LeaveList();
            EndWaitExtras();
            _wakeResult = false;
            _state = GreenletState.Woken;
            _hub.EnqueueResume(this);
        }
    }

    bool ITimerTarget.IsTimerLive(long token) => token == StartTimerToken
        ? _state == GreenletState.StartPending && _startTimerArmed
        : _state == GreenletState.Waiting && _version == (short)token && _hasWaitTimer;
}
