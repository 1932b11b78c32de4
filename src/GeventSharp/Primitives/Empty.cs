namespace GeventSharp;

/// <summary>Thrown when a get cannot complete: the queue is empty and the caller did not wait, or its timeout elapsed (gevent.queue.Empty).</summary>
/// <example>
/// <code>
/// try
/// {
///     T item = q.GetNowait(); // throws Empty when q.IsEmpty
/// }
/// catch (Empty)
/// {
///     // handle it
/// }
/// </code>
/// </example>
public class Empty : Exception
{
    /// <summary>Creates the exception with the default message.</summary>
    public Empty()
        : base("Queue is empty")
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public Empty(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and the exception that caused it.</summary>
    public Empty(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
