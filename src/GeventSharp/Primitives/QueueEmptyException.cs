namespace GeventSharp;

/// <summary>Thrown when a get or peek of a queue or channel times out with nothing to take (gevent's <c>gevent.queue.Empty</c>); <c>TryGet</c> is the form that does not wait.</summary>
/// <example>
/// <code>
/// try
/// {
///     T item = await q.GetAsync(1.5); // throws QueueEmptyException if nothing comes within 1.5 s
/// }
/// catch (QueueEmptyException)
/// {
///     // handle it
/// }
/// </code>
/// </example>
public sealed class QueueEmptyException : Exception
{
    /// <summary>Creates the exception with the default message.</summary>
    public QueueEmptyException()
        : base("Queue is empty")
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public QueueEmptyException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and the exception that caused it.</summary>
    public QueueEmptyException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
