using System.Security.Cryptography.X509Certificates;
using GeventSharp.Net;

namespace GeventSharp.Http;

/// <summary>Settings of an <see cref="HttpServer"/>; every limit has a safe default.</summary>
/// <remarks>The properties are settable, so the options can be bound from configuration
/// (<c>services.Configure&lt;HttpServerOptions&gt;(configuration.GetSection("Http"))</c>, or
/// GeventSharp.Hosting's <c>AddGeventHttpServer</c>); the server validates and reads them when it is created.</remarks>
/// <example>
/// <code>
/// new HttpServerOptions
/// {
///     MaxRequestBodySize = 1 &lt;&lt; 20,               // 1 MiB, then 413
///     KeepAliveTimeout = TimeSpan.FromSeconds(30),
///     Server = new StreamServerOptions { Pool = new Pool(1000) },
/// }
/// </code>
/// </example>
public sealed class HttpServerOptions
{
    /// <summary>The TCP side: backlog, <c>MaxConnections</c>, <c>Pool</c>, <c>ReusePort</c>.</summary>
    public StreamServerOptions Server { get; set; } = new();

    /// <summary>Serve HTTPS with this certificate (null, the default: plain HTTP).</summary>
    public X509Certificate2? Certificate { get; set; }

    /// <summary>The longest request line plus headers, in bytes; 32 KiB by default. Longer: 431. The trailer fields of a chunked body get the same budget.</summary>
    public int MaxRequestHeadSize { get; set; } = 32 * 1024;

    /// <summary>
    /// The longest request line (<c>GET /path?query HTTP/1.1</c>, without its CRLF), in bytes;
    /// 8 KiB by default, as Kestrel's <c>MaxRequestLineSize</c>. Longer: 414 URI Too Long, as soon
    /// as that many bytes have arrived without the line's end.
    /// </summary>
    public int MaxRequestLineSize { get; set; } = 8 * 1024;

    /// <summary>The most header fields in a request; 100 by default. More: 431.</summary>
    public int MaxRequestHeaderCount { get; set; } = 100;

    /// <summary>The largest request body, in bytes; 30 MB by default (as Kestrel). Larger: 413.</summary>
    public long MaxRequestBodySize { get; set; } = 30_000_000;

    /// <summary>
    /// How long a connection may sit idle, before its first request or between requests, before the
    /// server closes it (without an answer: nothing was asked); 130 s by default, as Kestrel's. Null: forever.
    /// </summary>
    /// <remarks>
    /// It ends at the first byte of the next request; from there <see cref="RequestHeadersTimeout"/>
    /// applies. The default outlasts the idle timeouts of common load balancers and proxies (60 s
    /// to 120 s), so they close an idle connection first and never send a request on one the
    /// server is closing.
    /// </remarks>
    public TimeSpan? KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(130);

    /// <summary>
    /// How long a client may take to send a request's line and headers, from the first byte of the
    /// request to the end of its head; 30 s by default, as Kestrel's. Later: 408 Request Timeout, and
    /// the connection closes. Null: no limit (then only <see cref="MaxRequestHeadSize"/> bounds a head).
    /// </summary>
    /// <remarks>Checked once a second, so the 408 comes up to a second late.</remarks>
    public TimeSpan? RequestHeadersTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The slowest a client may send a request body while the handler reads it: 240 bytes per second
    /// after a grace period of 5 s by default, as Kestrel's. Slower: 408 Request Timeout (or, once the
    /// response has started, the connection is closed). Null: no minimum.
    /// </summary>
    /// <remarks>
    /// The time counted is the time the handler spends waiting for the body's bytes, so a handler
    /// that reads a little, works for a minute and reads on is not penalised; the bytes counted are
    /// the body's bytes delivered to it. Checked once a second.
    /// </remarks>
    public MinDataRate? MinRequestBodyDataRate { get; set; } = new();

    /// <summary>
    /// The slowest a client may read a response: each write that has to wait for the client must be
    /// taken within the grace period plus its size at this rate; 240 bytes per second after 5 s by
    /// default, as Kestrel's. Slower: the connection is closed (the response has started, so there
    /// is nothing left to answer). Null: no minimum.
    /// </summary>
    /// <remarks>Checked once a second. A write that completes at once (the socket's buffer had room) is never timed.</remarks>
    public MinDataRate? MinResponseDataRate { get; set; } = new();

    /// <summary>
    /// How long one read of a request body, or one write of a response, may wait for the client
    /// before the server gives up on the connection (a body that stalls is answered with 408 if
    /// nothing was sent yet); 60 s by default. Null: forever. A WebSocket, once accepted, is not
    /// covered (it may idle for hours); neither is a handler waiting for something other than the client.
    /// </summary>
    /// <remarks>
    /// A backstop behind the data rates (Kestrel has no such limit): it also holds the writes the
    /// rates do not time, such as a <c>100 Continue</c>, and applies when a rate is turned off.
    /// </remarks>
    public TimeSpan? IoTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How much of the response body is buffered before it is sent: a handler that writes less and
    /// returns gets a <c>Content-Length</c> response in one write; more (or a flush) starts a
    /// chunked response. 16 KiB by default. The buffer is rented from the shared array pool while a
    /// response is written and returned when it is complete: an idle connection holds none.
    /// </summary>
    public int ResponseBufferSize { get; set; } = 16 * 1024;

    /// <summary>
    /// The largest WebSocket message a client may send, in bytes (all its frames together); 1 MiB
    /// by default. A larger one closes the WebSocket with 1009 (Message Too Big) once that many bytes
    /// have arrived, and the receive that saw them throws a <see cref="System.Net.WebSockets.WebSocketException"/>.
    /// Null: no limit (as ASP.NET Core's WebSockets).
    /// </summary>
    public long? MaxWebSocketMessageSize { get; set; } = 1024 * 1024;

    /// <summary>Send a <c>Date</c> header (true by default, as HTTP/1.1 asks of servers with a clock).</summary>
    /// <remarks>The date is read from the hub's clock at most once a second while a deadline is on (as Kestrel's, it may be a second behind).</remarks>
    public bool SendDateHeader { get; set; } = true;

    /// <summary>The value of the <c>Server</c> header, or null (the default) to send none.</summary>
    public string? ServerHeader { get; set; }

    /// <summary>
    /// Log one entry per response (category <c>GeventSharp.Http.AccessLog</c>, Information) with
    /// the client's address, method, target, protocol, status, body bytes and duration, as
    /// gevent's pywsgi prints; true by default. It takes effect only when the server's hub has a
    /// <see cref="Hub.LoggerFactory"/>: without one nothing is logged or printed. Filtering the
    /// category below Information turns it off as well (docs/logging.md).
    /// </summary>
    /// <example><code>new HttpServerOptions { AccessLog = false } // rejections and failures are still logged</code></example>
    public bool AccessLog { get; set; } = true;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRequestHeadSize, 256, nameof(MaxRequestHeadSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRequestLineSize, 16, nameof(MaxRequestLineSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRequestHeaderCount, 1, nameof(MaxRequestHeaderCount));
        if (MaxWebSocketMessageSize is { } maxMessage)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(maxMessage, 1, nameof(MaxWebSocketMessageSize));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(MaxRequestBodySize, nameof(MaxRequestBodySize));
        ArgumentOutOfRangeException.ThrowIfLessThan(ResponseBufferSize, 256, nameof(ResponseBufferSize));
        ArgumentNullException.ThrowIfNull(Server, nameof(Server));
        MinRequestBodyDataRate?.Validate();
        MinResponseDataRate?.Validate();
        if (RequestHeadersTimeout is { } headers)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(headers, TimeSpan.Zero, nameof(RequestHeadersTimeout));
        }
    }
}
