using Microsoft.Extensions.Logging;

namespace GeventSharp;

/// <summary>
/// The hub's log events (category <c>GeventSharp.Hub</c>): failures and monitor reports, with
/// event IDs and structured properties. The table of every event is in docs/logging.md.
/// </summary>
internal static partial class HubLog
{
    public const string Category = "GeventSharp.Hub";

    /// <summary>Logs what the default error handler would have written: a failure, or a monitor report.</summary>
    public static void Report(ILogger logger, Greenlet? greenlet, Exception exception)
    {
        if (exception is HubBlockedException blocked)
        {
            if (logger.IsEnabled(LogLevel.Warning))
            {
                HubBlocked(
                    logger,
                    blocked.Held.TotalMilliseconds,
                    blocked.Greenlet?.ToString() ?? "a hub callback",
                    blocked.Greenlet?.FunctionDescription ?? "-",
                    blocked.StillBlocked,
                    blocked.LikelyDeadlock,
                    blocked);
            }
        }
        else if (greenlet is null)
        {
            CallbackFailed(logger, exception.GetType().Name, exception);
        }
        else if (logger.IsEnabled(LogLevel.Error))
        {
            GreenletFailed(logger, greenlet.Name, greenlet.Id, greenlet.FunctionDescription, exception.GetType().Name, exception);
        }
    }

    [LoggerMessage(EventId = 1, EventName = "GreenletFailed", Level = LogLevel.Error, SkipEnabledCheck = true,
        Message = "Greenlet \"{GreenletName}\" #{GreenletId} running {Function} failed with {ExceptionType}")]
    private static partial void GreenletFailed(ILogger logger, string greenletName, long greenletId, string function, string exceptionType, Exception exception);

    [LoggerMessage(EventId = 2, EventName = "CallbackFailed", Level = LogLevel.Error,
        Message = "A hub callback failed with {ExceptionType}")]
    private static partial void CallbackFailed(ILogger logger, string exceptionType, Exception exception);

    [LoggerMessage(EventId = 3, EventName = "HubBlocked", Level = LogLevel.Warning, SkipEnabledCheck = true,
        Message = "The hub was blocked for at least {BlockedMilliseconds:F0} ms by {Greenlet} running {Function} (still blocked: {StillBlocked}, likely deadlock: {LikelyDeadlock})")]
    private static partial void HubBlocked(ILogger logger, double blockedMilliseconds, string greenlet, string function, bool stillBlocked, bool likelyDeadlock, HubBlockedException exception);

    [LoggerMessage(EventId = 4, EventName = "ErrorHandlerFailed", Level = LogLevel.Error,
        Message = "The hub's error handler failed with {ExceptionType}")]
    public static partial void ErrorHandlerFailed(ILogger logger, string exceptionType, Exception exception);
}
