using System.Net;
using Microsoft.Extensions.Logging;

namespace GeventSharp.Http;

/// <summary>
/// An <see cref="HttpServer"/>'s loggers, from its hub's <see cref="Hub.LoggerFactory"/>: rejected
/// requests (category <c>GeventSharp.Http.HttpServer</c>) and the access log
/// (<c>GeventSharp.Http.AccessLog</c>). The table of every event is in docs/logging.md.
/// </summary>
/// <remarks>
/// A server without a logger factory has none of this (its connections test one null reference).
/// Nothing is formatted, and no timestamp is taken, for a level the logger does not want.
/// </remarks>
internal sealed partial class HttpServerLog
{
    /// <summary>The access log's category.</summary>
    public const string AccessCategory = "GeventSharp.Http.AccessLog";

    private readonly ILogger _server;
    private readonly ILogger? _access;
    private readonly TimeProvider _time;

    private HttpServerLog(ILogger server, ILogger? access, TimeProvider time)
    {
        _server = server;
        _access = access;
        _time = time;
    }

    /// <summary>The loggers of a server started on <paramref name="hub"/>; null when the hub has no logger factory.</summary>
    public static HttpServerLog? Create(Hub hub, HttpServerOptions options)
        => hub.LoggerFactory is { } factory
            ? new HttpServerLog(factory.CreateLogger<HttpServer>(), options.AccessLog ? factory.CreateLogger(AccessCategory) : null, hub.TimeProvider)
            : null;

    /// <summary>When a request starts: the hub clock's timestamp if the access log wants entries, else 0.</summary>
    public long RequestStarted() => _access is { } access && access.IsEnabled(LogLevel.Information) ? _time.GetTimestamp() : 0;

    /// <summary>A request the server refused (the answer is <paramref name="rejection"/>'s status and sentence).</summary>
    public void Rejected(EndPoint? peer, HttpBadRequestException rejection)
    {
        if (_server.IsEnabled(LogLevel.Debug))
        {
            RequestRejected(_server, ClientAddress(peer), rejection.StatusCode, rejection.Reason?.ToString() ?? "Application", rejection.Message);
        }
    }

    /// <summary>One access-log entry: a response went out (whole, cut short, or a rejection).</summary>
    /// <param name="peer">The client.</param>
    /// <param name="head">The request's head, or null when it could not be read.</param>
    /// <param name="status">The status sent.</param>
    /// <param name="bodyBytes">Body bytes sent (framing not counted).</param>
    /// <param name="started">What <see cref="RequestStarted"/> returned; 0: now.</param>
    public void Access(EndPoint? peer, RequestHead? head, int status, long bodyBytes, long started)
    {
        if (_access is { } access && access.IsEnabled(LogLevel.Information))
        {
            double milliseconds = started == 0 ? 0 : _time.GetElapsedTime(started).TotalMilliseconds;
            RequestCompleted(access, ClientAddress(peer), head?.Method ?? "-", head?.Target ?? "-", head?.Version ?? "-", status, bodyBytes, milliseconds);
        }
    }

    /// <summary>The client's address without the port, as access logs show it; "-" when unknown.</summary>
    private static string ClientAddress(EndPoint? peer) => peer switch
    {
        IPEndPoint ip => (ip.Address.IsIPv4MappedToIPv6 ? ip.Address.MapToIPv4() : ip.Address).ToString(),
        null => "-",
        _ => peer.ToString() ?? "-",
    };

    [LoggerMessage(EventId = 201, EventName = "RequestRejected", Level = LogLevel.Debug, SkipEnabledCheck = true,
        Message = "Rejected a request from {ClientAddress} with {StatusCode} ({Reason}): {Sentence}")]
    private static partial void RequestRejected(ILogger logger, string clientAddress, int statusCode, string reason, string sentence);

    [LoggerMessage(EventId = 202, EventName = "RequestCompleted", Level = LogLevel.Information, SkipEnabledCheck = true,
        Message = "{ClientAddress} \"{Method} {Target} {Protocol}\" {StatusCode} {ResponseBytes} {DurationMilliseconds:0.000} ms")]
    private static partial void RequestCompleted(ILogger logger, string clientAddress, string method, string target, string protocol, int statusCode, long responseBytes, double durationMilliseconds);
}
