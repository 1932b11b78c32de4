using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;

namespace GeventSharp.Http;

/// <summary>
/// The metrics and the trace of the requests of one connection, following OpenTelemetry's HTTP
/// semantic conventions: <c>http.server.request.duration</c>, <c>http.server.active_requests</c>,
/// <c>gevent.server.requests</c>, and a <see cref="ActivityKind.Server"/> activity per request whose
/// parent comes from the W3C <c>traceparent</c>/<c>tracestate</c> headers.
/// </summary>
/// <remarks>
/// <para>Made by the connection only once somebody listens (<see cref="Listening"/>), and reused for
/// every request of the connection: with nobody listening a request costs one check of a few flags.</para>
/// <para><see cref="Start"/> runs in the connection's request code before the handler, so the
/// activity is <see cref="Activity.Current"/> inside the handler (it flows in the execution
/// context, with the awaits of the handler) and nowhere else: the connection's own loop calls
/// <see cref="Stop"/> outside that context once the response is complete.</para>
/// </remarks>
internal sealed class RequestTelemetry
{
    private static readonly string? s_version = typeof(RequestTelemetry).Assembly.GetName().Version?.ToString();

    /// <summary>The HTTP server's activity source; named <see cref="HttpServer.ActivitySourceName"/>.</summary>
    internal static readonly ActivitySource Source = new(HttpServer.ActivitySourceName, s_version);

    // The HTTP package sees only the core's public API, so it makes its own meter of the same name:
    // listeners select meters by name (dotnet-counters' --counters GeventSharp, OpenTelemetry's AddMeter).
    private static readonly Meter s_meter = new(GeventMetrics.MeterName, s_version);

    internal static readonly Histogram<double> Duration = s_meter.CreateHistogram(
        "http.server.request.duration", "s", "Duration of HTTP server requests.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10] });

    internal static readonly UpDownCounter<long> ActiveRequests = s_meter.CreateUpDownCounter<long>(
        "http.server.active_requests", "{request}", "Number of active HTTP server requests.");

    internal static readonly Counter<long> Requests = s_meter.CreateCounter<long>(
        "gevent.server.requests", "{request}", "HTTP requests answered (the count of http.server.request.duration, for tools that show rates).");

    // Boxed once: a status code in a tag would otherwise box on every request.
    private static readonly object[] s_statusCodes = Enumerable.Range(0, 1000).Select(static i => (object)i).ToArray();

    private static readonly HashSet<string> s_knownMethods = ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"];

    private readonly string _scheme;
    private readonly string? _serverAddress;
    private readonly object? _serverPort;
    private HttpRequest? _request;
    private HttpResponse? _response;
    private Activity? _activity;
    private string _method = "";
    private string _version = "1.1";
    private string? _errorType;
    private long _startedAt;
    private bool _countedActive;

    public RequestTelemetry(HttpServer server, bool tls)
    {
        _scheme = tls ? "https" : "http";
        if (server.Address is { } address)
        {
            _serverAddress = address.Address.ToString();
            _serverPort = address.Port;
        }
    }

    /// <summary>True when an instrument or the activity source has a listener.</summary>
    public static bool Listening => Duration.Enabled || ActiveRequests.Enabled || Requests.Enabled || Source.HasListeners();

    /// <summary>A request starts: count it active, take the time, start its activity (which becomes <see cref="Activity.Current"/> here).</summary>
    public void Start(HttpRequest request, HttpResponse response)
    {
        Stop(); // a request of this connection that was not stopped yet (defensive: the loop stops each one)
        _request = request;
        _response = response;
        _errorType = null;
        _method = s_knownMethods.TryGetValue(request.Method, out string? known) ? known : "_OTHER";
        _version = request.Version == "HTTP/1.0" ? "1.0" : "1.1";
        _startedAt = Stopwatch.GetTimestamp();
        _countedActive = ActiveRequests.Enabled;
        if (_countedActive)
        {
            ActiveRequests.Add(1, ActiveTags());
        }

        if (Source.HasListeners())
        {
            _activity = StartActivity(request);
        }
    }

    /// <summary>The request failed with <paramref name="exception"/> (the handler threw, or the client went away).</summary>
    public void NoteException(Exception exception) => _errorType ??= exception.GetType().FullName;

    /// <summary>The request is over: record its duration and status, and stop its activity. Does nothing if none is running.</summary>
    public void Stop()
    {
        if (_request is null)
        {
            return;
        }

        double seconds = Stopwatch.GetElapsedTime(_startedAt).TotalSeconds;
        int status = _response!.StatusCode;
        string? errorType = _errorType ?? (status >= 500 ? s_statusCodes[status].ToString() : null);
        _request = null;
        _response = null;

        TagList tags = ActiveTags();
        tags.Add("http.response.status_code", s_statusCodes[status]);
        tags.Add("network.protocol.version", _version);
        if (errorType is not null)
        {
            tags.Add("error.type", errorType);
        }

        Duration.Record(seconds, tags);
        Requests.Add(1, tags);
        if (_countedActive)
        {
            _countedActive = false;
            ActiveRequests.Add(-1, ActiveTags());
        }

        if (_activity is { } activity)
        {
            _activity = null;
            activity.SetTag("http.response.status_code", s_statusCodes[status]);
            if (errorType is not null)
            {
                activity.SetTag("error.type", errorType);
                activity.SetStatus(ActivityStatusCode.Error);
            }

            activity.Stop();
        }
    }

    /// <summary><c>http.request.method</c>, <c>url.scheme</c>, <c>server.address</c>, <c>server.port</c>: the tags of <c>http.server.active_requests</c>.</summary>
    private TagList ActiveTags()
    {
        var tags = new TagList
        {
            { "http.request.method", _method },
            { "url.scheme", _scheme },
        };
        if (_serverAddress is not null)
        {
            tags.Add("server.address", _serverAddress);
            tags.Add("server.port", _serverPort);
        }

        return tags;
    }

    private Activity? StartActivity(HttpRequest request)
    {
        DistributedContextPropagator propagator = DistributedContextPropagator.Current;
        propagator.ExtractTraceIdAndState(request.Headers, s_getter, out string? traceParent, out string? traceState);
        ActivityContext.TryParse(traceParent, traceState, isRemote: true, out ActivityContext parent);
        Activity? activity = Source.StartActivity(_method == "_OTHER" ? "HTTP" : _method, ActivityKind.Server, parent);
        if (activity is null)
        {
            return null;
        }

        if (activity.IsAllDataRequested)
        {
            SetRequestTags(activity, request);
        }

        IEnumerable<KeyValuePair<string, string?>>? baggage = propagator.ExtractBaggage(request.Headers, s_getter);
        if (baggage is not null)
        {
            foreach (KeyValuePair<string, string?> item in baggage)
            {
                activity.AddBaggage(item.Key, item.Value);
            }
        }

        return activity;
    }

    private void SetRequestTags(Activity activity, HttpRequest request)
    {
        activity.SetTag("http.request.method", _method);
        if (_method == "_OTHER")
        {
            activity.SetTag("http.request.method_original", request.Method);
        }

        string target = request.Target;
        int q = target.IndexOf('?');
        activity.SetTag("url.path", q < 0 ? target : target[..q]);
        if (q >= 0)
        {
            activity.SetTag("url.query", target[(q + 1)..]);
        }

        activity.SetTag("url.scheme", _scheme);
        activity.SetTag("network.protocol.version", _version);
        (string? host, int? port) = ServerName(request.Host);
        activity.SetTag("server.address", host ?? _serverAddress);
        activity.SetTag("server.port", port ?? _serverPort);
        if (request.RemoteEndPoint is IPEndPoint client)
        {
            activity.SetTag("client.address", client.Address.ToString());
            activity.SetTag("client.port", client.Port);
        }

        if (request.Headers["User-Agent"] is { } userAgent)
        {
            activity.SetTag("user_agent.original", userAgent);
        }
    }

    /// <summary>The host and port of a <c>Host</c> header (<c>example.com:8080</c>, <c>[::1]:80</c>); nulls when absent or unreadable.</summary>
    internal static (string? Host, int? Port) ServerName(string? hostHeader)
    {
        if (string.IsNullOrEmpty(hostHeader))
        {
            return (null, null);
        }

        int colon = hostHeader.LastIndexOf(':');
        if (colon > 0 && hostHeader.IndexOf(']', colon) < 0
            && int.TryParse(hostHeader.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port))
        {
            return (hostHeader[..colon].Trim('[', ']'), port);
        }

        return (hostHeader.Trim('[', ']'), null);
    }

    private static readonly DistributedContextPropagator.PropagatorGetterCallback s_getter = static (object? carrier, string name, out string? value, out IEnumerable<string>? values) =>
    {
        value = ((HttpHeaders)carrier!)[name];
        values = null;
    };
}
