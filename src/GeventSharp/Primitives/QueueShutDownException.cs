namespace GeventSharp;

/// <summary>Thrown when the queue was shut down: puts always fail, gets fail once the remaining items are taken (at once after an immediate shutdown) (Python 3.13's queue.ShutDown).</summary>
/// <example>
/// <code>
/// try
/// {
///     q.Shutdown(); await q.GetAsync(); // drains what is left, then throws QueueShutDownException
/// }
/// catch (QueueShutDownException)
/// {
///     // handle it
/// }
/// </code>
/// </example>
public sealed class QueueShutDownException : Exception
{
    /// <summary>Creates the exception with the default message.</summary>
    public QueueShutDownException()
        : base("Queue is shut down")
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public QueueShutDownException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and the exception that caused it.</summary>
    public QueueShutDownException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
