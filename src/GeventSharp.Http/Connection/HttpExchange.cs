using System.Net.WebSockets;

namespace GeventSharp.Http;

/// <summary>
/// What a connection holds only while it serves a request: its input, its response writer, its
/// stall guard and the request's own state. A server's connections pass these on to one another
/// (<see cref="SpareExchanges"/>): an idle connection holds none.
/// </summary>
/// <remarks>
/// <para>A connection takes one when its client's next bytes arrive and gives it back once the
/// response is complete and nothing pipelined is buffered (or when the connection ends).</para>
/// <para>A handler may keep its <see cref="HttpRequest"/> and <see cref="HttpResponse"/> after it
/// has returned, while this exchange serves another connection. Neither can reach it then: the
/// response writes through <see cref="ResponseWriter"/>, which accepts only its current response
/// (each response is a new object), and the body reader refuses to read once its request is over
/// (<see cref="RequestBodyReader.End"/>). The request's peer address comes from its connection,
/// not from here.</para>
/// </remarks>
internal sealed class HttpExchange
{
    public HttpExchange(HttpServer server, HttpServerOptions options)
    {
        Stall = new StallGuard(server.StallLimits);
        Input = new ConnectionInput(Stall, server.Spares);
        Writer = new ResponseWriter(server, Stall, options);
    }

    /// <summary>The connection's deadlines and I/O timeout while it serves a request.</summary>
    public StallGuard Stall { get; }

    /// <summary>What the client sent and the request has not used yet.</summary>
    public ConnectionInput Input { get; }

    /// <summary>The writer of the response.</summary>
    public ResponseWriter Writer { get; }

    /// <summary>The request, from its head to the end of its handler (dropped once a WebSocket is accepted).</summary>
    public HttpRequest? Request { get; set; }

    /// <summary>The request's response, from the start of its handler to the end of the request.</summary>
    public HttpResponse? Response { get; set; }

    /// <summary>The request's handler, from its start until its outcome is taken.</summary>
    public Task? Handling { get; set; }

    /// <summary>The request's body.</summary>
    public RequestBodyReader Body { get; set; } = RequestBodyReader.Empty;

    /// <summary>The WebSocket the handler accepted, if any.</summary>
    public WebSocket? WebSocket { get; set; }

    /// <summary>The request's head, for the access log (its headers dropped once a WebSocket is accepted).</summary>
    public RequestHead? Head { get; set; }

    /// <summary>When the request started, for the access log.</summary>
    public long RequestStart { get; set; }

    /// <summary>The request's metrics and activity, made when a listener first asks for them.</summary>
    public RequestTelemetry? Telemetry { get; set; }

    /// <summary>Serves the connection over <paramref name="stream"/> (it was idle, or is new).</summary>
    public void Bind(Stream stream)
    {
        Stall.Reset();
        Input.Transport = stream;
        Writer.Transport = stream;
    }

    /// <summary>
    /// The connection is done with this exchange: the request is over (its body refuses to read, its
    /// response to write), the buffers go back to the server's spares, nothing of the request or the
    /// connection is held.
    /// </summary>
    public void Unbind()
    {
        Body.End();
        Body = RequestBodyReader.Empty;
        Request = null;
        Response = null;
        Handling = null;
        WebSocket = null;
        Head = null;
        Stall.Cancel();
        Input.Dispose();
        Writer.Unbind();
        Input.Transport = Stream.Null;
    }
}

/// <summary>
/// A server's exchanges between requests: a connection that goes idle leaves its exchange here and the
/// next one to get a request takes it (a stack, so the one most recently used, whose objects are most
/// likely still in the CPU's cache).
/// </summary>
/// <remarks>All of a server's connections run on its hub's thread, so no lock is needed. At most
/// <see cref="MaxSpares"/> wait here: after a burst of concurrent requests, the rest are left to the collector.</remarks>
internal sealed class SpareExchanges(HttpServer server, HttpServerOptions options)
{
    /// <summary>The most exchanges kept between requests.</summary>
    public const int MaxSpares = 256;

    private readonly Stack<HttpExchange> _spares = new();

    /// <summary>How many exchanges wait here; a test seam.</summary>
    public int Count => _spares.Count;

    /// <summary>An exchange bound to <paramref name="stream"/>.</summary>
    public HttpExchange Rent(Stream stream)
    {
        if (!_spares.TryPop(out HttpExchange? exchange))
        {
            exchange = new HttpExchange(server, options);
        }

        exchange.Bind(stream);
        return exchange;
    }

    /// <summary>Takes back an exchange its connection is done with.</summary>
    public void Return(HttpExchange exchange)
    {
        exchange.Unbind();
        if (_spares.Count < MaxSpares)
        {
            _spares.Push(exchange);
        }
    }
}
