namespace GeventSharp;

/// <summary>
/// Thrown into the main greenlet when it waits on something that nothing can ever make ready:
/// no greenlet is runnable, no timer is pending, no I/O or foreign work is outstanding.
/// </summary>
/// <remarks>
/// gevent's <c>LoopExit: This operation would block forever</c>. The message names every blocked
/// greenlet and what it waits on. Other blocked greenlets are killed when <see cref="Gevent.Run(Func{Task}, HubOptions?)"/> returns.
/// </remarks>
/// <example><code>
/// Gevent.Run(async () =&gt; await new Event().WaitAsync()); // throws LoopExitException
/// </code></example>
public sealed class LoopExitException : InvalidOperationException
{
    /// <summary>Creates a <see cref="LoopExitException"/> with a message.</summary>
    public LoopExitException(string message)
        : base(message)
    {
    }

    /// <summary>Creates a <see cref="LoopExitException"/> with the default message.</summary>
    public LoopExitException()
        : base("This operation would block forever.")
    {
    }

    /// <summary>Creates a <see cref="LoopExitException"/> with a message and an inner exception.</summary>
    public LoopExitException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
