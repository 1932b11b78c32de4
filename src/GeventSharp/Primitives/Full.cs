namespace GeventSharp;

/// <summary>Thrown when a put cannot complete: the queue is full (or, for a Channel, no getter is waiting) and the caller did not wait, or its timeout elapsed (gevent.queue.Full).</summary>
/// <example>
/// <code>
/// try
/// {
///     q.PutNowait(item); // throws Full when q.IsFull
/// }
/// catch (Full)
/// {
///     // handle it
/// }
/// </code>
/// </example>
public class Full : Exception
{
    /// <summary>Creates the exception with the default message.</summary>
    public Full()
        : base("Queue is full")
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public Full(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and the exception that caused it.</summary>
    public Full(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
