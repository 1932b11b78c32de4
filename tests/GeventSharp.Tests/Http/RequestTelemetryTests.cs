using System.Diagnostics;
using System.Diagnostics.Metrics;
using GeventSharp.Http;
using GeventSharp.Tests.Core;
using GeventSharp.Tests.Net;
using Xunit;

namespace GeventSharp.Tests.Http;

[Collection(nameof(TelemetryCollection))]
public class RequestTelemetryTests
{
    private const string TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    /// <summary>An <see cref="ActivityListener"/> on the HTTP server's source that keeps the stopped activities.</summary>
    private sealed class ActivityRecorder : IDisposable
    {
        private readonly ActivityListener _listener;

        public ActivityRecorder()
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name == HttpServer.ActivitySourceName,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = a =>
                {
                    lock (Stopped)
                    {
                        Stopped.Add(a);
                    }
                },
            };
            ActivitySource.AddActivityListener(_listener);
        }

        public List<Activity> Stopped { get; } = new();

        public void Dispose() => _listener.Dispose();
    }

    private static HttpServer Start(Func<HttpRequest, HttpResponse, Task> handler)
    {
        var server = new HttpServer(NetHub.Loopback0, handler);
        server.Start();
        return server;
    }

    [Fact]
    public void RequestDuration_IsRecorded_WithTheSemanticConventionTags() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        using var metrics = new MetricsRecorder();
        await using HttpServer server = Start((request, response) =>
            request.Path == "/boom" ? throw new InvalidOperationException("boom") : response.WriteAsync("ok").AsTask());
        int port = server.Address.Port;
        using RawHttpClient client = await RawHttpClient.ConnectAsync(server.Address);
        await client.SendAsync("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.Equal(200, (await client.ReadResponseAsync()).Status);
        await client.SendAsync("POST /boom HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
        Assert.Equal(500, (await client.ReadResponseAsync()).Status);
        await ServerMetricsTests.UntilAsync(() => metrics.ForPort("http.server.request.duration", port).Count == 2);

        List<RecordedMeasurement> durations = metrics.ForPort("http.server.request.duration", port);
        RecordedMeasurement ok = durations[0];
        Assert.Equal("GET", ok.Tag("http.request.method"));
        Assert.Equal(200, ok.Tag("http.response.status_code"));
        Assert.Equal("http", ok.Tag("url.scheme"));
        Assert.Equal("1.1", ok.Tag("network.protocol.version"));
        Assert.Equal("127.0.0.1", ok.Tag("server.address"));
        Assert.Null(ok.Tag("error.type"));
        Assert.True(ok.Value >= 0);
        RecordedMeasurement failed = durations[1];
        Assert.Equal("POST", failed.Tag("http.request.method"));
        Assert.Equal(500, failed.Tag("http.response.status_code"));
        Assert.Equal(typeof(InvalidOperationException).FullName, failed.Tag("error.type"));

        Assert.Equal(2, metrics.ForPort("gevent.server.requests", port).Sum(m => m.Value));
        List<RecordedMeasurement> active = metrics.ForPort("http.server.active_requests", port);
        Assert.Equal([1, -1, 1, -1], active.Select(m => m.Value));
    }, onError: (_, e) => Assert.IsType<InvalidOperationException>(e));

    [Fact]
    public void ServerActivity_FollowsTheSemanticConventions_WithTheParentFromTraceparent() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        using var activities = new ActivityRecorder();
        string? seenInHandler = null;
        await using HttpServer server = Start((request, response) =>
        {
            seenInHandler = Activity.Current?.Id;
            return response.WriteAsync("ok").AsTask();
        });
        using RawHttpClient client = await RawHttpClient.ConnectAsync(server.Address);
        await client.SendAsync($"GET /items?q=1 HTTP/1.1\r\nHost: example.com:8080\r\nUser-Agent: test/1.0\r\ntraceparent: {TraceParent}\r\ntracestate: rojo=00f067aa0ba902b7\r\n\r\n");
        Assert.Equal(200, (await client.ReadResponseAsync()).Status);
        await ServerMetricsTests.UntilAsync(() => activities.Stopped.Count == 1);

        Activity a = activities.Stopped[0];
        Assert.Equal(ActivityKind.Server, a.Kind);
        Assert.Equal("GET", a.DisplayName);
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", a.TraceId.ToHexString());
        Assert.Equal("b7ad6b7169203331", a.ParentSpanId.ToHexString());
        Assert.True(a.HasRemoteParent);
        Assert.Equal("rojo=00f067aa0ba902b7", a.TraceStateString);
        Assert.Equal(a.Id, seenInHandler);
        Assert.Equal("GET", a.GetTagItem("http.request.method"));
        Assert.Equal("/items", a.GetTagItem("url.path"));
        Assert.Equal("q=1", a.GetTagItem("url.query"));
        Assert.Equal("http", a.GetTagItem("url.scheme"));
        Assert.Equal("example.com", a.GetTagItem("server.address"));
        Assert.Equal(8080, a.GetTagItem("server.port"));
        Assert.Equal("127.0.0.1", a.GetTagItem("client.address"));
        Assert.Equal("1.1", a.GetTagItem("network.protocol.version"));
        Assert.Equal("test/1.0", a.GetTagItem("user_agent.original"));
        Assert.Equal(200, a.GetTagItem("http.response.status_code"));
        Assert.Equal(ActivityStatusCode.Unset, a.Status);
    });

    [Fact]
    public void ServerError_MarksTheActivity() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        using var activities = new ActivityRecorder();
        await using HttpServer server = Start((request, response) =>
        {
            response.StatusCode = 503;
            return Task.CompletedTask;
        });
        using RawHttpClient client = await RawHttpClient.ConnectAsync(server.Address);
        await client.SendAsync("DELETE / HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.Equal(503, (await client.ReadResponseAsync()).Status);
        await ServerMetricsTests.UntilAsync(() => activities.Stopped.Count == 1);

        Activity a = activities.Stopped[0];
        Assert.Null(a.ParentId); // no traceparent: a new trace
        Assert.Equal(ActivityStatusCode.Error, a.Status);
        Assert.Equal("503", a.GetTagItem("error.type"));
    });

    [Fact]
    public void TheRequestActivity_DoesNotLeak_ToOtherGreenletsOrTheNextRequest() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        using var activities = new ActivityRecorder();
        var inFirst = new GeventSharp.Event();
        var releaseFirst = new GeventSharp.Event();
        var seen = new Dictionary<string, string?>();
        await using HttpServer server = Start(async (request, response) =>
        {
            seen[request.Path + " before"] = Activity.Current?.Id;
            if (request.Path == "/first")
            {
                inFirst.Set();
                await releaseFirst.WaitAsync(); // the other requests run while this one waits
            }

            seen[request.Path + " after"] = Activity.Current?.Id;
            await response.WriteAsync("ok");
        });

        // A greenlet that was waiting before the request came, and that the handler wakes: it runs
        // on the hub right after the handler's greenlet yields.
        string? inBystander = "unset";
        Greenlet bystander = Gevent.Spawn(async () =>
        {
            await inFirst.WaitAsync();
            inBystander = Activity.Current?.Id;
        });
        using RawHttpClient first = await RawHttpClient.ConnectAsync(server.Address);
        await first.SendAsync("GET /first HTTP/1.1\r\nHost: x\r\n\r\n");
        await inFirst.WaitAsync();
        await bystander.JoinAsync();
        Assert.Null(Activity.Current);

        using RawHttpClient second = await RawHttpClient.ConnectAsync(server.Address);
        await second.SendAsync("GET /second HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.Equal(200, (await second.ReadResponseAsync()).Status);
        await second.SendAsync("GET /third HTTP/1.1\r\nHost: x\r\n\r\n"); // the next request on the same connection
        Assert.Equal(200, (await second.ReadResponseAsync()).Status);
        releaseFirst.Set();
        Assert.Equal(200, (await first.ReadResponseAsync()).Status);
        await ServerMetricsTests.UntilAsync(() => activities.Stopped.Count == 3);

        Assert.Null(inBystander);
        Assert.Null(Activity.Current);
        Dictionary<string, Activity> byPath = activities.Stopped.ToDictionary(a => (string)a.GetTagItem("url.path")!);
        foreach (string path in new[] { "/first", "/second", "/third" })
        {
            Assert.Equal(byPath[path].Id, seen[path + " before"]);
            Assert.Equal(byPath[path].Id, seen[path + " after"]);
            Assert.Null(byPath[path].ParentId); // none is the child of another request
        }
    });

    [Fact]
    public void NobodyListening_ARequestRecordsNothing_AndAllocatesAsWithAnUnrelatedListener()
    {
        Assert.False(RequestTelemetry.Listening);
        long alone = BytesPerRequest();

        // Listeners of other meters and sources are somebody's, but not ours: our telemetry stays off.
        using var otherMeter = new Meter("Unrelated");
        using var meterListener = new MeterListener { InstrumentPublished = (i, l) => { if (i.Meter.Name == "Unrelated") l.EnableMeasurementEvents(i); } };
        meterListener.Start();
        using var activityListener = new ActivityListener { ShouldListenTo = s => s.Name == "Unrelated", Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData };
        ActivitySource.AddActivityListener(activityListener);
        Assert.False(RequestTelemetry.Listening);
        Assert.Equal(alone, BytesPerRequest());
        Assert.Null(Activity.Current);
    }

    /// <summary>Bytes the hub thread allocates per keep-alive request (client and server), the least of three runs.</summary>
    private static long BytesPerRequest()
    {
        const int WarmUp = 200, Measured = 500;
        long least = long.MaxValue;
        NetHub.Run(PollerKind.Epoll, async () =>
        {
            await using HttpServer server = Start(static (request, response) => response.WriteAsync("ok").AsTask());
            using RawHttpClient client = await RawHttpClient.ConnectAsync(server.Address);
            for (int attempt = 0; attempt < 3; attempt++)
            {
                long before = 0;
                for (int i = 0; i < WarmUp + Measured; i++)
                {
                    if (i == WarmUp)
                    {
                        before = GC.GetAllocatedBytesForCurrentThread();
                    }

                    await client.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
                    await client.ReadResponseAsync();
                }

                least = Math.Min(least, (GC.GetAllocatedBytesForCurrentThread() - before) / Measured);
            }
        });
        return least;
    }
}
