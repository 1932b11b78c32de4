using Microsoft.Extensions.Logging;
using Xunit;

namespace GeventSharp.Tests.Logging;

/// <summary>One log entry as a provider receives it: its structured properties, not just its text.</summary>
internal sealed record LogEntry(string Category, LogLevel Level, EventId EventId, string Message, IReadOnlyDictionary<string, object?> Properties, Exception? Exception)
{
    public object? this[string property] => Properties.TryGetValue(property, out object? value) ? value : throw new KeyNotFoundException($"no property {property} in [{string.Join(", ", Properties.Keys)}] of \"{Message}\"");
}

/// <summary>An <see cref="ILoggerProvider"/> that keeps every entry (any thread), for assertions.</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly List<LogEntry> _entries = new();
    private readonly List<(Func<LogEntry, bool> Match, TaskCompletionSource<LogEntry> Seen)> _waiters = new();

    /// <summary>A logger factory with this provider alone, at <paramref name="minimum"/> and above.</summary>
    public static (ILoggerFactory Factory, CapturingLoggerProvider Capture) CreateFactory(LogLevel minimum = LogLevel.Trace)
    {
        var capture = new CapturingLoggerProvider();
        return (LoggerFactory.Create(b => b.AddProvider(capture).SetMinimumLevel(minimum)), capture);
    }

    /// <summary>
    /// Runs <paramref name="main"/> (given the factory) on a hub whose <see cref="HubOptions.LoggerFactory"/>
    /// logs here (unless <paramref name="factoryInOptions"/> is false), with the hub's own default
    /// error handler unless <paramref name="errorHandler"/> is given, and the monitor off (its reports
    /// would be about the test machine); the entries.
    /// </summary>
    public static CapturingLoggerProvider RunHub(
        Func<ILoggerFactory, Task> main,
        LogLevel minimum = LogLevel.Trace,
        Action<Greenlet?, Exception>? errorHandler = null,
        bool factoryInOptions = true,
        PollerKind poller = PollerKind.Auto)
    {
        (ILoggerFactory loggers, CapturingLoggerProvider capture) = CreateFactory(minimum);
        using (loggers)
        {
            Gevent.Run(
                () => main(loggers),
                new HubOptions { LoggerFactory = factoryInOptions ? loggers : null, ErrorHandler = errorHandler, MonitorThreshold = null, Poller = poller });
        }

        return capture;
    }

    public IReadOnlyList<LogEntry> Entries
    {
        get
        {
            lock (_entries)
            {
                return _entries.ToList();
            }
        }
    }

    /// <summary>The entries with event <paramref name="eventId"/>.</summary>
    public IReadOnlyList<LogEntry> WithEvent(int eventId) => Entries.Where(e => e.EventId.Id == eventId).ToList();

    /// <summary>The first entry that matches, waiting (60 s at most) for one from another thread.</summary>
    public LogEntry WaitFor(Func<LogEntry, bool> match)
    {
        var seen = new TaskCompletionSource<LogEntry>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_entries)
        {
            if (_entries.FirstOrDefault(match) is { } entry)
            {
                return entry;
            }

            _waiters.Add((match, seen));
        }

        Assert.True(seen.Task.Wait(TimeSpan.FromSeconds(60)), "the expected log entry never came; got:\n" + string.Join("\n", Entries.Select(e => $"{e.Category}[{e.EventId}] {e.Message}")));
        return seen.Task.Result;
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private void Add(LogEntry entry)
    {
        lock (_entries)
        {
            _entries.Add(entry);
            foreach (var waiter in _waiters.Where(w => w.Match(entry)).ToList())
            {
                waiter.Seen.TrySetResult(entry);
                _waiters.Remove(waiter);
            }
        }
    }

    private sealed class Logger(CapturingLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var properties = new Dictionary<string, object?>();
            if (state is IEnumerable<KeyValuePair<string, object?>> pairs)
            {
                foreach (KeyValuePair<string, object?> pair in pairs)
                {
                    properties[pair.Key] = pair.Value;
                }
            }

            provider.Add(new LogEntry(category, logLevel, eventId, formatter(state, exception), properties, exception));
        }
    }
}
