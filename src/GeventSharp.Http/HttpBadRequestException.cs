namespace GeventSharp.Http;

/// <summary>
/// A request the server cannot serve as sent (malformed, too large, an unsupported encoding).
/// Thrown while reading a request or its body; the server answers with <see cref="StatusCode"/>
/// and the message, and closes the connection.
/// </summary>
/// <remarks>
/// A handler that lets it escape (for instance from <see cref="HttpRequest.ReadBodyAsync"/> when
/// the body is over <see cref="HttpServerOptions.MaxRequestBodySize"/>) gets the same answer; it is
/// the client's error, so it is not reported as a crash.
/// </remarks>
public sealed class HttpBadRequestException : Exception
{
    /// <summary>Creates the exception with the status the server should answer with (400, 413, 431, 501, 505...).</summary>
    public HttpBadRequestException(int statusCode, string message)
        : base(message)
    {
        StatusCode = statusCode;
    }

    /// <summary>A rejection by the server itself, with its reason (<see cref="HttpRejection"/>).</summary>
    internal HttpBadRequestException(RejectReason reason, int statusCode, string message)
        : this(statusCode, message)
    {
        Reason = reason;
    }

    /// <summary>The status the server answers with.</summary>
    public int StatusCode { get; }

    /// <summary>Why the server refused the request; null when a handler threw the exception itself.</summary>
    internal RejectReason? Reason { get; }
}
