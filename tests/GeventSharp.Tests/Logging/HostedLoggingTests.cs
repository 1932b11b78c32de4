using System.Net.Http;
using GeventSharp.Hosting;
using GeventSharp.Tests.Samples;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Xunit;

namespace GeventSharp.Tests.Logging;

/// <summary>A hosted hub logs through the host's <see cref="ILoggerFactory"/>: its providers and its filters.</summary>
public class HostedLoggingTests
{
    [Fact]
    public async Task AHostedApp_LogsFailuresAndTheAccessLog_ThroughTheHostsLogging()
    {
        int port = SampleProcess.FreePort();
        var capture = new CapturingLoggerProvider();
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection([new("Http:Port", port.ToString())]);
        builder.Logging.AddProvider(capture).SetMinimumLevel(LogLevel.Information);
        builder.Services.AddGeventHttpServer("Http", async (services, request, response) => await response.WriteAsync("hosted"));
        builder.Services.AddGeventGreenlet("doomed", services => throw new InvalidOperationException("background failure"));
        using IHost host = builder.Build();
        await host.StartAsync();
        using (var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") })
        {
            Assert.Equal("hosted", await http.GetStringAsync("/hello"));
        }

        await host.StopAsync(); // the server has drained: every entry is in

        LogEntry failure = capture.WaitFor(e => e.EventId.Id == 1);
        Assert.Equal("doomed", failure["GreenletName"]);
        Assert.Equal("background failure", failure.Exception!.Message);
        LogEntry access = capture.WaitFor(e => e.EventId.Id == 202);
        Assert.Equal(("GET", "/hello", 200, 6L), ((string)access["Method"]!, (string)access["Target"]!, (int)access["StatusCode"]!, (long)access["ResponseBytes"]!));
        Assert.Empty(capture.WithEvent(201)); // Debug: below the host's minimum level
    }
}
