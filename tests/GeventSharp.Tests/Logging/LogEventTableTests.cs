using System.Reflection;
using System.Text.RegularExpressions;
using GeventSharp.Http;
using Microsoft.Extensions.Logging;
using Xunit;

namespace GeventSharp.Tests.Logging;

/// <summary>docs/logging.md's table of events is the code's: every [LoggerMessage] has its row (ID, name, level), and no row is stale.</summary>
public class LogEventTableTests
{
    [Fact]
    public void EveryLogEvent_HasItsRowInDocsLogging_AndEveryRowIsAnEvent()
    {
        var events = new[] { typeof(Gevent).Assembly, typeof(HttpServer).Assembly }
            .SelectMany(a => a.GetTypes())
            .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            .Select(m => m.GetCustomAttribute<LoggerMessageAttribute>())
            .OfType<LoggerMessageAttribute>()
            .Select(a => $"{a.EventId} | {a.EventName} | {a.Level}")
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.True(events.Count >= 10, $"only {events.Count} [LoggerMessage] methods found");
        Assert.Equal(events.Count, events.Distinct().Count());
        Assert.Equal(events.Count, events.Select(e => e.Split(" | ")[0]).Distinct().Count()); // one ID, one event

        string docs = File.ReadAllText(Path.Combine(Packaging.DotnetCli.RepoRoot, "docs", "logging.md"));
        var rows = Regex.Matches(docs, @"^\| `GeventSharp[^`]*` \| (?<row>\d+ \| \w+ \| \w+) \|", RegexOptions.Multiline)
            .Select(m => m.Groups["row"].Value)
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.Equal(events, rows);
    }
}
