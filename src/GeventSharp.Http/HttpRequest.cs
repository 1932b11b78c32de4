using System.Collections.Specialized;
using System.Net;
using System.Text;
using System.Web;

namespace GeventSharp.Http;

/// <summary>
/// One request as the client sent it (the WSGI <c>environ</c>): method, target, headers and a
/// body to read.
/// </summary>
/// <remarks>
/// <para>The body is read on demand from the connection (<see cref="Body"/>,
/// <see cref="ReadBodyAsync"/>, <see cref="ReadTextAsync"/>, <see cref="ReadFormAsync"/>), with
/// <c>Content-Length</c> or chunked framing undone. Reading it sends <c>100 Continue</c> first
/// when the client asked for it. What the handler leaves unread is skipped before the next
/// request on the connection.</para>
/// <para>A body over <see cref="HttpServerOptions.MaxRequestBodySize"/> throws
/// <see cref="HttpBadRequestException"/> (413).</para>
/// </remarks>
/// <example>
/// <code>
/// // WSGI: environ["REQUEST_METHOD"], environ["PATH_INFO"], environ["QUERY_STRING"], environ["wsgi.input"].read()
/// string method = request.Method;
/// string path = request.Path;
/// string? page = request.Query["page"];
/// NameValueCollection form = await request.ReadFormAsync();
/// </code>
/// </example>
public sealed class HttpRequest
{
    private NameValueCollection? _query;
    private string? _path;

    private readonly HttpConnection? _connection;

    internal HttpRequest(string method, string target, string version, HttpHeaders headers, string? host, Stream body, long? contentLength, HttpConnection? connection)
    {
        Host = host;
        Method = method;
        Target = target;
        Version = version;
        Headers = headers;
        Body = body;
        ContentLength = contentLength;
        _connection = connection;
    }

    /// <summary>The method, as sent (<c>GET</c>, <c>POST</c>...; methods are case-sensitive).</summary>
    public string Method { get; }

    /// <summary>The request target as sent: <c>/path?query</c> (or <c>*</c>, or an absolute URI).</summary>
    public string Target { get; }

    /// <summary>The path of <see cref="Target"/>, percent-decoded (WSGI's <c>PATH_INFO</c>).</summary>
    public string Path => _path ??= DecodePath();

    /// <summary>What follows <c>?</c> in the target, undecoded, or empty (WSGI's <c>QUERY_STRING</c>).</summary>
    public string QueryString
    {
        get
        {
            int q = Target.IndexOf('?');
            return q < 0 ? string.Empty : Target[(q + 1)..];
        }
    }

    /// <summary>The query parameters, decoded.</summary>
    public NameValueCollection Query => _query ??= HttpUtility.ParseQueryString(QueryString);

    /// <summary><c>HTTP/1.1</c> or <c>HTTP/1.0</c>.</summary>
    public string Version { get; }

    /// <summary>The header fields, in order.</summary>
    public HttpHeaders Headers { get; }

    /// <summary>The declared body length, or null for a chunked body (0 when there is no body).</summary>
    public long? ContentLength { get; }

    /// <summary>The body, read on demand.</summary>
    public Stream Body { get; }

    /// <summary>The client's address (read from the connection's socket when first asked for).</summary>
    public EndPoint? RemoteEndPoint => _connection?.Peer;

    /// <summary>True for a WebSocket handshake (GET with <c>Connection: Upgrade</c>, <c>Upgrade: websocket</c> and a key): accept it with <see cref="HttpResponse.AcceptWebSocketAsync"/>.</summary>
    public bool IsWebSocketRequest => WebSocketUpgrade.IsHandshake(this);

    /// <summary>
    /// The host (and port, if sent) the request is for: the authority of an absolute-form target
    /// (<c>GET http://example.com/ HTTP/1.1</c>, which also replaces the <c>Host</c> header, as RFC
    /// 9112 §3.2.2 asks), else the <c>Host</c> header; null for an HTTP/1.0 request without one.
    /// </summary>
    /// <remarks>The server has checked it: an HTTP/1.1 request without exactly one valid <c>Host</c> got 400 and never reached the handler.</remarks>
    public string? Host { get; }

    /// <summary>Reads the whole body.</summary>
    /// <exception cref="HttpBadRequestException">The body is larger than <see cref="HttpServerOptions.MaxRequestBodySize"/> (413), or malformed (400).</exception>
    public async ValueTask<byte[]> ReadBodyAsync(CancellationToken cancellationToken = default)
    {
        if (ContentLength == 0)
        {
            return [];
        }

        using var all = new MemoryStream(ContentLength is { } n ? (int)Math.Min(n, 1 << 20) : 4096);
        await Body.CopyToAsync(all, cancellationToken);
        return all.ToArray();
    }

    /// <summary>Reads the whole body as text, in the charset the <c>Content-Type</c> names (UTF-8 by default).</summary>
    public async ValueTask<string> ReadTextAsync(CancellationToken cancellationToken = default)
    {
        byte[] body = await ReadBodyAsync(cancellationToken);
        return BodyEncoding().GetString(body);
    }

    /// <summary>Reads an <c>application/x-www-form-urlencoded</c> body (an HTML form's POST) into its fields.</summary>
    /// <exception cref="HttpBadRequestException">The body is of another type (415).</exception>
    public async ValueTask<NameValueCollection> ReadFormAsync(CancellationToken cancellationToken = default)
    {
        string? type = Headers["Content-Type"];
        if (type is not null && !type.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
        {
            throw HttpRejection.Create(RejectReason.NotAForm, type);
        }

        return HttpUtility.ParseQueryString(await ReadTextAsync(cancellationToken));
    }

    /// <summary>Like <c>GET /path HTTP/1.1</c>.</summary>
    public override string ToString() => $"{Method} {Target} {Version}";

    private Encoding BodyEncoding()
    {
        string? type = Headers["Content-Type"];
        int at = type?.IndexOf("charset=", StringComparison.OrdinalIgnoreCase) ?? -1;
        if (at >= 0)
        {
            string name = type![(at + 8)..].Split(';')[0].Trim().Trim('"');
            try
            {
                return Encoding.GetEncoding(name);
            }
            catch (ArgumentException)
            {
                throw HttpRejection.Create(RejectReason.UnknownCharset, name);
            }
        }

        return Encoding.UTF8;
    }

    private string DecodePath()
    {
        int q = Target.IndexOf('?');
        string raw = q < 0 ? Target : Target[..q];
        if (!raw.StartsWith('/') && (raw.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || raw.StartsWith("https://", StringComparison.OrdinalIgnoreCase)))
        {
            raw = Uri.TryCreate(raw, UriKind.Absolute, out Uri? uri) ? uri.AbsolutePath : raw;
        }

        return raw.Contains('%') ? Uri.UnescapeDataString(raw) : raw;
    }
}
