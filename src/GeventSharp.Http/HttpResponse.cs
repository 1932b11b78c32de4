using System.Net.WebSockets;
using System.Text;

namespace GeventSharp.Http;

/// <summary>
/// The answer to one request (what WSGI's <c>start_response</c> and the returned iterable
/// give): status, headers and body.
/// </summary>
/// <remarks>
/// <para>The body is buffered (up to <see cref="HttpServerOptions.ResponseBufferSize"/>) until the
/// handler returns, so a small response goes out in one write with a <c>Content-Length</c>.
/// Writing more than the buffer, or <see cref="FlushAsync"/>, sends the head at once: with the
/// <see cref="ContentLength"/> you set, or else chunked (HTTP/1.1 clients) or delimited by closing
/// the connection (HTTP/1.0 clients). Status and headers can no longer change once sent
/// (<see cref="HasStarted"/>).</para>
/// <para>The server adds <c>Date</c>, the framing headers and <c>Connection</c> itself. To close
/// the connection after this response, set <c>Headers["Connection"] = "close"</c>.</para>
/// </remarks>
/// <example>
/// <code>
/// response.StatusCode = 404;
/// response.ContentType = "text/plain; charset=utf-8";
/// await response.WriteAsync($"no page at {request.Path}");
/// </code>
/// </example>
public sealed class HttpResponse
{
    private readonly HttpConnection _connection;
    private readonly ResponseWriter _writer;
    private int _statusCode = 200;
    private string? _reasonPhrase;
    private long? _contentLength;
    private Stream? _body;
    private HttpHeaders? _headers;
    private string? _contentType;

    internal HttpResponse(HttpConnection connection)
    {
        _connection = connection;
        _writer = connection.Writer;
    }

    /// <summary>The status code; 200 by default.</summary>
    /// <exception cref="InvalidOperationException">The head was already sent.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Not in 100–999.</exception>
    public int StatusCode
    {
        get => _statusCode;
        set
        {
            ThrowIfStarted(nameof(StatusCode));
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 100);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 999);
            _statusCode = value;
        }
    }

    /// <summary>The reason phrase of the status line; null gives the standard one (<c>OK</c>, <c>Not Found</c>...).</summary>
    public string? ReasonPhrase
    {
        get => _reasonPhrase;
        set
        {
            ThrowIfStarted(nameof(ReasonPhrase));
            if (value is not null && value.AsSpan().IndexOfAny('\r', '\n', '\0') >= 0)
            {
                throw new ArgumentException("A reason phrase may not contain CR, LF or NUL.", nameof(value));
            }

            _reasonPhrase = value;
        }
    }

    /// <summary>The header fields to send (the server adds <c>Date</c>, framing and <c>Connection</c>).</summary>
    public HttpHeaders Headers => _headers ??= new HttpHeaders();

    /// <summary>The <c>Content-Type</c> header (kept apart from <see cref="Headers"/> until sent, so the common response allocates no header list).</summary>
    /// <exception cref="ArgumentException">The value contains CR, LF or NUL.</exception>
    public string? ContentType
    {
        get => _contentType ?? _headers?["Content-Type"];
        set
        {
            if (value is not null && value.AsSpan().IndexOfAny('\r', '\n', '\0') >= 0)
            {
                throw new ArgumentException("A Content-Type may not contain CR, LF or NUL.", nameof(value));
            }

            _headers?.Remove("Content-Type");
            _contentType = value;
        }
    }

    /// <summary>The header fields if any were set (null: none), for the server's rendering.</summary>
    internal HttpHeaders? HeadersIfAny => _headers;

    /// <summary>
    /// The body length to declare, for a body larger than the buffer sent as it is written; null
    /// (the default) lets the server measure a buffered body or send a large one chunked.
    /// </summary>
    /// <exception cref="InvalidOperationException">The head was already sent.</exception>
    public long? ContentLength
    {
        get => _contentLength;
        set
        {
            ThrowIfStarted(nameof(ContentLength));
            if (value is < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "A content length cannot be negative.");
            }

            _contentLength = value;
        }
    }

    /// <summary>True once the status line and headers have been sent.</summary>
    public bool HasStarted => _writer.IsStarted(this);

    /// <summary>The body as a write-only <see cref="Stream"/> (for serializers and <c>CopyToAsync</c>).</summary>
    public Stream Body => _body ??= new HttpResponseBody(this);

    /// <summary>Appends <paramref name="data"/> to the body.</summary>
    /// <exception cref="InvalidOperationException">The response is complete, or more than <see cref="ContentLength"/> would be sent.</exception>
    public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
        => _writer.WriteAsync(this, data, cancellationToken);

    /// <summary>Appends <paramref name="text"/> to the body, UTF-8 encoded.</summary>
    public ValueTask WriteAsync(string text, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        return _writer.WriteAsync(this, text, cancellationToken);
    }

    /// <summary>Sends the head and everything written so far now (the rest follows chunked unless <see cref="ContentLength"/> is set).</summary>
    public ValueTask FlushAsync(CancellationToken cancellationToken = default) => _writer.FlushAsync(this, cancellationToken);

    /// <summary>
    /// Accepts a WebSocket upgrade (<see cref="HttpRequest.IsWebSocketRequest"/>): sends
    /// <c>101 Switching Protocols</c> and returns the connection as a .NET <see cref="WebSocket"/>,
    /// usable until the handler returns (then it is disposed and the connection closed).
    /// </summary>
    /// <param name="subProtocol">The subprotocol to speak, one the client offered; null for none.</param>
    /// <param name="keepAliveInterval">How often to ping the client; null for .NET's default (30 s), <see cref="TimeSpan.Zero"/> for never.</param>
    /// <remarks>
    /// A client that breaks the protocol (a malformed frame, invalid UTF-8 in a text message, a
    /// message over <see cref="HttpServerOptions.MaxWebSocketMessageSize"/>) gets the close code that
    /// says so (1002, 1007, 1009) and the receive throws a <see cref="WebSocketException"/>; if that
    /// escapes the handler, the connection is closed and nothing is reported: the client is at fault.
    /// </remarks>
    /// <exception cref="HttpBadRequestException">The request is not a version-13 WebSocket handshake, or has a body (400, 426); if it escapes the handler, that is the answer.</exception>
    /// <exception cref="InvalidOperationException">Something was already sent, or the client did not offer <paramref name="subProtocol"/>.</exception>
    /// <example>
    /// <code>
    /// if (request.IsWebSocketRequest)
    /// {
    ///     using WebSocket ws = await response.AcceptWebSocketAsync();
    ///     var buffer = new byte[4096];
    ///     while (true)
    ///     {
    ///         var r = await ws.ReceiveAsync(buffer, default);
    ///         if (r.MessageType == WebSocketMessageType.Close) break;
    ///         await ws.SendAsync(buffer.AsMemory(0, r.Count), r.MessageType, r.EndOfMessage, default);
    ///     }
    /// }
    /// </code>
    /// </example>
    public ValueTask<WebSocket> AcceptWebSocketAsync(string? subProtocol = null, TimeSpan? keepAliveInterval = null)
        => _connection.AcceptWebSocketAsync(this, subProtocol, keepAliveInterval);

    /// <summary>Like <c>200 OK</c>.</summary>
    public override string ToString() => $"{StatusCode} {ReasonPhrase ?? HttpStatus.ReasonPhrase(StatusCode)}";

    internal static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>The server's 500/4xx answer replaces whatever a failed handler had set, if nothing was sent yet.</summary>
    internal void ResetForError(int status)
    {
        _statusCode = status;
        _reasonPhrase = null;
        _contentLength = null;
        _contentType = null;
        _headers?.Clear();
    }

    private void ThrowIfStarted(string what)
    {
        if (HasStarted)
        {
            throw new InvalidOperationException($"The response head was already sent; set {what} before the first flush or before writing more than the response buffer.");
        }
    }
}
