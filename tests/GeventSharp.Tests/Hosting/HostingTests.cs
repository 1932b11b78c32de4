using System.Net;
using System.Net.Http;
using GeventSharp.Hosting;
using GeventSharp.Http;
using GeventSharp.Tests.Samples;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace GeventSharp.Tests.Hosting;

/// <summary>
/// GeventSharp.Hosting under a real generic host, in process: options from IConfiguration, a DI
/// scope per request, the host's stop draining the request in flight, and the host's shutdown
/// timeout cutting the drain short. Real threads and sockets; no waits on the clock.
/// </summary>
public class HostingTests
{
    [Fact]
    public async Task OptionsComeFromConfiguration_AndEachRequestGetsItsOwnScope()
    {
        int port = SampleProcess.FreePort();
        var disposed = new List<int>();
        HostApplicationBuilder builder = Builder(port, ("Http:MaxRequestBodySize", "10"));
        builder.Services.AddSingleton(disposed);
        builder.Services.AddScoped<PerRequest>();
        builder.Services.AddGeventHttpServer("Http", async (services, request, response) =>
            await response.WriteAsync($"request {services.GetRequiredService<PerRequest>().Id}"));
        using IHost host = builder.Build();
        await host.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        string first = await http.GetStringAsync("/");
        string second = await http.GetStringAsync("/");
        Assert.NotEqual(first, second); // one scoped PerRequest per request ...
        using HttpResponseMessage tooBig = await http.PostAsync("/", new StringContent("more than ten bytes"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooBig.StatusCode); // ... and the limit from configuration

        await host.StopAsync();
        lock (disposed)
        {
            Assert.Equal(2, disposed.Count); // the scopes of both answered requests were disposed with their requests
        }
    }

    [Fact]
    public async Task HostStop_LetsTheRequestInFlightFinish()
    {
        int port = SampleProcess.FreePort();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        HostApplicationBuilder builder = Builder(port, ("Http:Server:StopTimeout", "01:00:00"));
        builder.Services.AddGeventHttpServer("Http", async (services, request, response) =>
        {
            entered.TrySetResult();
            await release.Task; // a foreign await: the request is in flight until the test lets it go
            await response.WriteAsync("done");
        });
        using IHost host = builder.Build();
        await host.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        Task<string> request = http.GetStringAsync("/");
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Task stopping = host.StopAsync();
        Assert.False(stopping.IsCompleted); // the stop waits for the request
        release.SetResult();

        Assert.Equal("done", await request.WaitAsync(TimeSpan.FromSeconds(30)));
        await stopping.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task HostShutdownTimeout_CutsTheDrainShort_AndKillsTheRequest()
    {
        int port = SampleProcess.FreePort();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var killed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        HostApplicationBuilder builder = Builder(port, ("Http:Server:StopTimeout", "01:00:00"));
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.Zero);
        builder.Services.AddGeventHttpServer("Http", async (services, request, response) =>
        {
            entered.TrySetResult();
            try
            {
                await new Event().WaitAsync(); // never set
            }
            catch (GreenletExit)
            {
                killed.TrySetResult();
                throw;
            }
        });
        using IHost host = builder.Build();
        await host.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        Task<string> request = http.GetStringAsync("/");
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await host.StopAsync().WaitAsync(TimeSpan.FromSeconds(30)); // not the hour of StopTimeout

        await killed.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await Assert.ThrowsAsync<HttpRequestException>(() => request.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task HubOptions_ComeFromConfiguration_ThenConfigure()
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(
        [
            new("Gevent:Hubs:io:MonitorThreshold", "00:00:00.250"),
            new("Gevent:Hubs:io:ThreadPoolSize", "3"),
        ]);
        var failures = new List<Exception>();
        builder.Services.AddGeventHub("io", "Gevent:Hubs:io", options => options.ErrorHandler = (g, e) => failures.Add(e));
        var seen = new TaskCompletionSource<(TimeSpan? Threshold, int PoolSize)>(TaskCreationOptions.RunContinuationsAsynchronously);
        builder.Services.AddGeventGreenlet("probe", services =>
        {
            Hub hub = Hub.Current!;
            seen.TrySetResult((hub.Monitor?.Threshold, hub.ThreadPool.MaxSize));
            throw new InvalidOperationException("reported through the configured handler");
        }, hub: "io");
        using IHost host = builder.Build();
        await host.StartAsync();

        (TimeSpan? threshold, int poolSize) = await seen.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(TimeSpan.FromMilliseconds(250), threshold);
        Assert.Equal(3, poolSize);
        await host.StopAsync();
        Assert.Contains(failures, e => e.Message == "reported through the configured handler");
    }

    [Fact]
    public void AServerOnAnUnregisteredHub_IsRefusedAtRegistration()
    {
        var services = new ServiceCollection();
        InvalidOperationException e = Assert.Throws<InvalidOperationException>(() =>
            services.AddGeventHttpServer("Http", (s, request, response) => Task.CompletedTask, hub: "io"));
        Assert.Contains("AddGeventHub(\"io\")", e.Message);
    }

    private static HostApplicationBuilder Builder(int port, params (string Key, string Value)[] settings)
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(
            settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)).Append(new("Http:Port", port.ToString())));
        return builder;
    }

    private sealed class PerRequest(List<int> disposed) : IDisposable
    {
        private static int s_next;

        public int Id { get; } = Interlocked.Increment(ref s_next);

        public void Dispose()
        {
            lock (disposed)
            {
                disposed.Add(Id);
            }
        }
    }
}
