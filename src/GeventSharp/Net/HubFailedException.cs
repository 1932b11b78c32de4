namespace GeventSharp.Net;

/// <summary>A hub of a <see cref="HubGroup"/> failed: its server could not start, or its hub ended with an exception (in <see cref="Exception.InnerException"/>).</summary>
/// <example>
/// <code>
/// try
/// {
///     hubs.Run(endpoint, ep =&gt; new StreamServer(ep, HandleAsync));
/// }
/// catch (HubFailedException e)
/// {
///     Console.Error.WriteLine($"hub {e.HubIndex} failed: {e.InnerException}");
/// }
/// </code>
/// </example>
public sealed class HubFailedException : Exception
{
    /// <summary>Creates the exception for hub <paramref name="hubIndex"/>, which failed with <paramref name="innerException"/>.</summary>
    public HubFailedException(int hubIndex, Exception innerException)
        : base($"Hub {hubIndex} of the group failed: {innerException?.Message}", innerException)
    {
        HubIndex = hubIndex;
    }

    /// <summary>Creates the exception with the default message.</summary>
    public HubFailedException()
        : base("A hub of the group failed.")
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public HubFailedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and the exception that caused it.</summary>
    public HubFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Which hub failed (0 to the group's count - 1); -1 when not given.</summary>
    public int HubIndex { get; } = -1;
}
