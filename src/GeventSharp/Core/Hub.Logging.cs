using Microsoft.Extensions.Logging;

namespace GeventSharp;

public sealed partial class Hub
{
    private ILoggerFactory? _loggerFactory;
    private FactoryLogger? _logger;

    /// <summary>
    /// Where this hub and the servers started on it log (docs/logging.md); null when nothing is
    /// logged, and failures and monitor reports go to standard error.
    /// </summary>
    /// <remarks>
    /// Starts as <see cref="HubOptions.LoggerFactory"/>. Servers take their loggers from it when
    /// they start, so set it before starting them. The hub's default error handler reads it on
    /// every report (including monitor reports made on the monitor's thread); a handler set
    /// through <see cref="HubOptions.ErrorHandler"/> or <see cref="ErrorHandler"/> replaces that
    /// handler, and then failures reach the log only if the handler logs them.
    /// </remarks>
    /// <example>
    /// <code>
    /// Hub.Current!.LoggerFactory ??= loggers; // what GeventSharp.Hosting does with the host's factory
    /// </code>
    /// </example>
    public ILoggerFactory? LoggerFactory
    {
        get => _loggerFactory;
        set => _loggerFactory = value;
    }

    /// <summary>The logger of category <c>GeventSharp.Hub</c>, or null without a logger factory.</summary>
    /// <remarks>Read on the monitor's report threads too: the logger is cached with the factory it came
    /// from, so a factory set while a report is made never leaves a logger of the old one behind.</remarks>
    internal ILogger? Logger
    {
        get
        {
            ILoggerFactory? factory = _loggerFactory;
            if (factory is null)
            {
                return null;
            }

            FactoryLogger? cached = _logger;
            if (cached is null || !ReferenceEquals(cached.Factory, factory))
            {
                _logger = cached = new FactoryLogger(factory, factory.CreateLogger(HubLog.Category));
            }

            return cached.Logger;
        }
    }

    /// <summary>The hub's own error handler: the log if there is one, else standard error as before.</summary>
    private void LogOrWriteError(Greenlet? greenlet, Exception exception)
    {
        if (Logger is { } logger)
        {
            HubLog.Report(logger, greenlet, exception);
        }
        else
        {
            DefaultErrorHandler(greenlet, exception);
        }
    }

    private sealed record FactoryLogger(ILoggerFactory Factory, ILogger Logger);

    /// <summary>The error handler threw while reporting <paramref name="exception"/>: both go to the hub's default reporting.</summary>
    private void ReportHandlerFailure(Greenlet? greenlet, Exception exception, Exception handlerFailure)
    {
        if (Logger is { } logger)
        {
            HubLog.Report(logger, greenlet, exception);
            HubLog.ErrorHandlerFailed(logger, handlerFailure.GetType().Name, handlerFailure);
        }
        else
        {
            DefaultErrorHandler(greenlet, exception);
            DefaultErrorHandler(null, handlerFailure);
        }
    }
}
