namespace GeventSharp;

/// <summary>
/// An exception thrown into a greenlet (a Kill, a <see cref="Timeout"/>) that could not fail a library
/// wait at once, because the greenlet was in a foreign await, running, or behind a wake that stands:
/// it is raised at the greenlet's next library wait. Each greenlet has at most one, created on first use.
/// </summary>
/// <remarks>
/// It also remembers when a <see cref="Timeout"/> raised the exception into a foreign await. The foreign
/// await then ends with the cancellation of the greenlet's token (or ignores it), and the end of the
/// timeout's scope raises the timeout in its place (<see cref="TakeRaisedIntoForeignAwait"/>). This is
/// all a timeout scope asks when it ends, so <see cref="Timeout"/> talks to this object alone.
/// </remarks>
internal sealed class DeferredThrow
{
    private Exception? _exception;
    private Timeout? _raisedIntoForeignAwaitBy;

    /// <summary>The exception waiting for the next library wait, or null.</summary>
    public Exception? Exception => _exception;

    /// <summary>
    /// The shield depth it came from: a wait in a deeper shield does not raise it (0 for a kill;
    /// a timeout's depth when it started).
    /// </summary>
    public int Depth { get; private set; }

    /// <summary>Defers <paramref name="exception"/> (replacing any deferred before it).</summary>
    public void Set(Exception exception, int depth = 0)
    {
        _exception = exception;
        _raisedIntoForeignAwaitBy = null;
        Depth = depth;
    }

    /// <summary>Defers what <paramref name="timeout"/> raised into a foreign await, for the end of its scope.</summary>
    public void SetRaisedIntoForeignAwait(Timeout timeout, Exception exception)
    {
        _exception = exception;
        _raisedIntoForeignAwaitBy = timeout;
        Depth = timeout.ShieldDepth;
    }

    /// <summary>Takes the deferred exception, if any, to raise it now.</summary>
    public Exception? Take()
    {
        Exception? e = _exception;
        _exception = null;
        _raisedIntoForeignAwaitBy = null;
        return e;
    }

    /// <summary>
    /// Takes the deferred exception if a <see cref="Timeout"/> raised it into a foreign await (the end of
    /// a timeout scope raises it); a deferred kill, or a timeout behind a standing wake, stays deferred.
    /// </summary>
    public Exception? TakeRaisedIntoForeignAwait() => _raisedIntoForeignAwaitBy is not null ? Take() : null;

    /// <summary>Forgets <paramref name="exception"/> if it is the one deferred (its timeout was cancelled).</summary>
    public void Drop(Exception exception)
    {
        if (ReferenceEquals(_exception, exception))
        {
            Take();
        }
    }

    /// <summary>
    /// <paramref name="timeout"/> starts again: what it raised earlier stays deferred for the next
    /// wait, but no longer belongs to a scope of it.
    /// </summary>
    public void Disown(Timeout timeout)
    {
        if (ReferenceEquals(_raisedIntoForeignAwaitBy, timeout))
        {
            _raisedIntoForeignAwaitBy = null;
        }
    }
}
