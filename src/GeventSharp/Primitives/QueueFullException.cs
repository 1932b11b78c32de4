namespace GeventSharp;

/// <summary>Thrown when a put times out with no room (for a <see cref="Channel{T}"/>: no getter), or when a full <see cref="Pool"/> cannot take a greenlet (gevent's <c>gevent.queue.Full</c>); <c>TryPut</c> is the form that does not wait.</summary>
/// <example>
/// <code>
/// try
/// {
///     await q.PutAsync(item, 1.5); // throws QueueFullException if no room comes within 1.5 s
/// }
/// catch (QueueFullException)
/// {
///     // handle it
/// }
/// </code>
/// </example>
public sealed class QueueFullException : Exception
{
    /// <summary>Creates the exception with the default message.</summary>
    public QueueFullException()
        : base("Queue is full")
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public QueueFullException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and the exception that caused it.</summary>
    public QueueFullException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
