using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace GeventSharp.Net;

/// <summary>
/// The log events of <see cref="StreamServer"/> (category <c>GeventSharp.Net.StreamServer</c>) and
/// <see cref="DatagramServer"/> (<c>GeventSharp.Net.DatagramServer</c>). The table of every event
/// is in docs/logging.md.
/// </summary>
internal static partial class ServerLog
{
    /// <summary>The server's logger from this thread's hub's logger factory, or null without one.</summary>
    public static ILogger? For<TServer>() => Hub.Current?.LoggerFactory?.CreateLogger<TServer>();

    [LoggerMessage(EventId = 101, EventName = "AcceptFailed", Level = LogLevel.Warning,
        Message = "{Server} could not accept a connection ({SocketError}); accepting again in {RetryMilliseconds} ms")]
    public static partial void AcceptFailed(ILogger logger, string server, SocketError socketError, double retryMilliseconds, Exception exception);

    [LoggerMessage(EventId = 102, EventName = "HandlersKilledAtStop", Level = LogLevel.Warning,
        Message = "{Server}: {Count} handler(s) still running {StopTimeoutSeconds:0.###} s after the stop began were killed")]
    public static partial void HandlersKilledAtStop(ILogger logger, string server, int count, double stopTimeoutSeconds);

    [LoggerMessage(EventId = 103, EventName = "AcceptPaused", Level = LogLevel.Debug,
        Message = "{Server} has {Count} handler(s) running, its limit: new connections wait in the listen backlog")]
    public static partial void AcceptPaused(ILogger logger, string server, int count);

    [LoggerMessage(EventId = 111, EventName = "ReceiveFailed", Level = LogLevel.Debug,
        Message = "{Server} could not receive a datagram ({SocketError}); receiving again")]
    public static partial void ReceiveFailed(ILogger logger, string server, SocketError socketError, Exception exception);
}
