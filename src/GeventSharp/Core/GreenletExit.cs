namespace GeventSharp;

/// <summary>
/// The exception <see cref="Greenlet.Kill(Exception?)"/> throws into a greenlet by default.
/// </summary>
/// <remarks>
/// A greenlet that ends with <see cref="GreenletExit"/> counts as successful: its
/// <see cref="Greenlet.Exception"/> is null and its <see cref="Greenlet.Value"/> is the
/// <see cref="GreenletExit"/> instance, as in gevent. It is never reported as a failure.
/// </remarks>
/// <example><code>await worker.KillAsync(); // worker's finally blocks have run</code></example>
public sealed class GreenletExit : Exception
{
    /// <summary>Creates a <see cref="GreenletExit"/>.</summary>
    public GreenletExit()
        : base("The greenlet was killed.")
    {
    }

    /// <summary>Creates a <see cref="GreenletExit"/> with a message.</summary>
    public GreenletExit(string message)
        : base(message)
    {
    }

    /// <summary>Creates a <see cref="GreenletExit"/> with a message and an inner exception.</summary>
    public GreenletExit(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
