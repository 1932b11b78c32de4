using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using GeventSharp.Net;
using Xunit;

namespace GeventSharp.Tests.Net;

/// <summary>
/// <see cref="HubGroup"/>: one server on N hubs. The test thread is the client (plain blocking .NET
/// sockets); hand-off mode makes the hub that serves each connection deterministic (round-robin),
/// and stops are observed through signals from the hubs, never by sleeping.
/// </summary>
public class HubGroupTests
{
    private static readonly TimeSpan SafetyNet = TimeSpan.FromMinutes(2); // only so a bug fails instead of hanging

    private static HubGroup NewGroup(int count, bool reusePort)
        => new(new HubGroupOptions { Count = count, ReusePort = reusePort, StopOnShutdownSignal = false });

    /// <summary>A server that says which hub (index and thread) took the connection, then closes it.</summary>
    private static StreamServer WhoAmI(IPEndPoint endPoint)
        => new(endPoint, (sock, peer) => sock.SendAllAsync(Encoding.UTF8.GetBytes($"{HubGroup.CurrentIndex} {Thread.CurrentThread.Name}")).AsTask());

    private static string ReadAll(IPEndPoint endPoint)
    {
        using var client = new TcpClient();
        client.Connect(endPoint);
        using var reader = new StreamReader(client.GetStream(), Encoding.UTF8);
        return reader.ReadToEnd();
    }

    [Fact]
    public async Task HandOff_StartsAndServesOnEveryHubInTurn()
    {
        HubGroup group = NewGroup(3, reusePort: false);
        Task run = group.RunAsync(NetHub.Loopback0, WhoAmI);
        IPEndPoint address = await group.Started.WaitAsync(SafetyNet);
        Assert.NotEqual(0, address.Port);
        Assert.False(group.ReusePort);

        List<string> replies = Enumerable.Range(0, 6).Select(_ => ReadAll(address)).ToList();

        Assert.Equal(
            new[] { "0 GeventSharp hub 1/3", "1 GeventSharp hub 2/3", "2 GeventSharp hub 3/3", "0 GeventSharp hub 1/3", "1 GeventSharp hub 2/3", "2 GeventSharp hub 3/3" },
            replies);
        await group.StopAsync().WaitAsync(SafetyNet);
        await run.WaitAsync(SafetyNet); // a clean stop: no hub failed
    }

    [Fact]
    public async Task ReusePort_EveryHubHasAListenerAndServes()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // the kernel balances SO_REUSEPORT listeners on Linux only
        }

        HubGroup group = NewGroup(2, reusePort: true);
        Task run = group.RunAsync(NetHub.Loopback0, WhoAmI);
        IPEndPoint address = await group.Started.WaitAsync(SafetyNet);
        Assert.True(group.ReusePort);

        // The kernel hashes each connection to one listener: 200 connections all landing on one of
        // two hubs would take a broken group (the odds otherwise are 2^-199).
        var seen = new HashSet<string>();
        for (int i = 0; i < 200 && seen.Count < 2; i++)
        {
            seen.Add(ReadAll(address));
        }

        Assert.Equal(new[] { "0 GeventSharp hub 1/2", "1 GeventSharp hub 2/2" }, seen.Order());
        await group.StopAsync().WaitAsync(SafetyNet);
        await run.WaitAsync(SafetyNet);
    }

    [Fact]
    public async Task AnHttpServer_ServesOnEveryHub()
    {
        HubGroup group = NewGroup(2, reusePort: false);
        Task run = group.RunAsync(NetHub.Loopback0, endPoint => new GeventSharp.Http.HttpServer(endPoint, (request, response) =>
            response.WriteAsync($"hub {HubGroup.CurrentIndex}").AsTask()));
        IPEndPoint address = await group.Started.WaitAsync(SafetyNet);

        string Get()
        {
            using var client = new TcpClient();
            client.Connect(address);
            NetworkStream stream = client.GetStream();
            stream.Write("GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"u8);
            string reply = new StreamReader(stream, Encoding.ASCII).ReadToEnd();
            return reply[(reply.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];
        }

        Assert.Equal(new[] { "hub 0", "hub 1", "hub 0" }, new[] { Get(), Get(), Get() });
        await group.StopAsync().WaitAsync(SafetyNet);
        await run.WaitAsync(SafetyNet);
    }

    [Fact]
    public async Task ADatagramServer_HasASocketOnEveryHub()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // datagrams cannot be handed over: a DatagramServer group needs SO_REUSEPORT
        }

        HubGroup group = NewGroup(2, reusePort: true);
        Task run = group.RunAsync(NetHub.Loopback0, endPoint => new DatagramServer(endPoint, async (server, data, peer) =>
            await server.SendToAsync(Encoding.UTF8.GetBytes($"hub {HubGroup.CurrentIndex}"), peer)));
        IPEndPoint address = await group.Started.WaitAsync(SafetyNet);

        // Each client socket (its own source port) hashes to one of the two sockets.
        var seen = new HashSet<string>();
        byte[] buffer = new byte[64];
        for (int i = 0; i < 200 && seen.Count < 2; i++)
        {
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            client.ReceiveTimeout = (int)SafetyNet.TotalMilliseconds;
            client.Connect(address);
            client.Send("?"u8);
            int n = client.Receive(buffer); // loopback does not drop a lone datagram
            seen.Add(Encoding.UTF8.GetString(buffer, 0, n));
        }

        Assert.Equal(new[] { "hub 0", "hub 1" }, seen.Order());
        await group.StopAsync().WaitAsync(SafetyNet);
        await run.WaitAsync(SafetyNet);
    }

    [Fact]
    public async Task Stop_IsGracefulAcrossHubs_RequestsInFlightFinish()
    {
        HubGroup group = NewGroup(2, reusePort: false);
        var servers = new ConcurrentBag<StreamServer>();
        var stopping = new CountdownEvent(2);
        Task run = group.RunAsync(NetHub.Loopback0, endPoint =>
        {
            var server = new StreamServer(endPoint, async (sock, peer) =>
            {
                await sock.SendAllAsync("ready\n"u8.ToArray());
                byte[] go = new byte[1];
                await sock.ReceiveAsync(go); // in flight until the client says go, after the stop began
                await sock.SendAllAsync(Encoding.UTF8.GetBytes($"done on hub {HubGroup.CurrentIndex}\n"));
            }, new StreamServerOptions { StopTimeout = TimeSpan.FromHours(1) });
            servers.Add(server);
            return new SignalOnStop(server, stopping);
        });
        IPEndPoint address = await group.Started.WaitAsync(SafetyNet);

        // One request in flight on each hub (hand-off: the first connection goes to hub 0, the second to hub 1).
        using var first = new TcpClient();
        using var second = new TcpClient();
        first.Connect(address);
        second.Connect(address);
        using var firstReader = new StreamReader(first.GetStream());
        using var secondReader = new StreamReader(second.GetStream());
        Assert.Equal("ready", firstReader.ReadLine());
        Assert.Equal("ready", secondReader.ReadLine());

        Task stop = group.StopAsync();
        Assert.True(stopping.Wait(SafetyNet)); // both hubs have begun their graceful stop
        Assert.Throws<SocketException>(() => ReadAll(address)); // the group no longer accepts
        Assert.False(stop.IsCompleted); // ...but waits for the requests in flight

        first.GetStream().WriteByte(1);
        second.GetStream().WriteByte(1);
        Assert.Equal("done on hub 0", firstReader.ReadLine());
        Assert.Equal("done on hub 1", secondReader.ReadLine());
        await stop.WaitAsync(SafetyNet);
        await run.WaitAsync(SafetyNet);
        Assert.All(servers, s => Assert.Equal(0, s.HandlersKilledAtStop));
        Assert.All(servers, s => Assert.True(s.Closed));
    }

    [Fact]
    public async Task AHubThatFails_IsReported_AndTheOtherHubsStop()
    {
        HubGroup group = NewGroup(3, reusePort: false);
        var stopped = new ConcurrentBag<int>();
        Task run = group.RunAsync(NetHub.Loopback0, endPoint =>
        {
            int index = HubGroup.CurrentIndex!.Value;
            if (index == 2)
            {
                throw new InvalidOperationException("hub 2 cannot start");
            }

            return new SignalOnStop(WhoAmI(endPoint), onStop: () => stopped.Add(index));
        });

        HubFailedException failure = await Assert.ThrowsAsync<HubFailedException>(() => run.WaitAsync(SafetyNet));
        Assert.Equal(2, failure.HubIndex);
        Assert.Equal("hub 2 cannot start", failure.InnerException!.Message);
        Assert.Single(run.Exception!.InnerExceptions); // only hub 2 failed
        await Assert.ThrowsAsync<HubFailedException>(() => group.Started);
        Assert.Equal(new[] { 0, 1 }, stopped.Order()); // the healthy hubs were stopped, gracefully
    }

    [Fact]
    public async Task AServerThatFailsAfterStarting_IsReported_WithItsHub()
    {
        HubGroup group = NewGroup(2, reusePort: false);
        Task run = group.RunAsync(NetHub.Loopback0, endPoint => HubGroup.CurrentIndex == 0
            ? new FailingServer(endPoint)
            : WhoAmI(endPoint));

        HubFailedException failure = await Assert.ThrowsAsync<HubFailedException>(() => run.WaitAsync(SafetyNet));
        Assert.Equal(0, failure.HubIndex);
        Assert.IsType<IOException>(failure.InnerException);
    }

    [Fact]
    public async Task AHandlerThatThrows_IsReportedOnItsHub_AndServingGoesOn()
    {
        var reports = new ConcurrentQueue<(int? Hub, string Message)>();
        var group = new HubGroup(new HubGroupOptions
        {
            Count = 2,
            ReusePort = false,
            StopOnShutdownSignal = false,
            HubOptions = new HubOptions
            {
                ErrorHandler = (g, e) =>
                {
                    if (e is not HubBlockedException)
                    {
                        reports.Enqueue((HubGroup.CurrentIndex, e.Message));
                    }
                },
            },
        });
        Task run = group.RunAsync(NetHub.Loopback0, endPoint => new StreamServer(endPoint, async (sock, peer) =>
        {
            if (HubGroup.CurrentIndex == 1)
            {
                throw new InvalidOperationException("a bug in a handler on hub 1");
            }

            await sock.SendAllAsync("ok"u8.ToArray());
        }));
        IPEndPoint address = await group.Started.WaitAsync(SafetyNet);

        Assert.Equal("ok", ReadAll(address)); // hub 0
        Assert.Equal("", ReadAll(address));   // hub 1: the handler failed, its connection was closed
        Assert.Equal("ok", ReadAll(address)); // hub 0 again: the group serves on
        await group.StopAsync().WaitAsync(SafetyNet);
        await run.WaitAsync(SafetyNet); // a handler's failure is not a hub's
        Assert.Equal(new (int?, string)[] { (1, "a bug in a handler on hub 1") }, reports);
    }

    [Fact]
    public void Options_AreChecked()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new HubGroup(new HubGroupOptions { Count = 0 }));
        Assert.Equal(Environment.ProcessorCount, new HubGroup().Count);
        Assert.Null(HubGroup.CurrentIndex);
    }

    /// <summary>Passes everything to the server; tells the test when the hub has begun its stop.</summary>
    private sealed class SignalOnStop(IGreenServer inner, CountdownEvent? stopping = null, Action? onStop = null) : IGreenServer
    {
        public IPEndPoint Address => inner.Address;

        public void Start() => inner.Start();

        public Task ServeForeverAsync() => inner.ServeForeverAsync();

        public Task StopAsync(TimeSpan? timeout = null)
        {
            Task stop = inner.StopAsync(timeout); // the listener is closed and the drain has begun when this returns
            stopping?.Signal();
            onStop?.Invoke();
            return stop;
        }
    }

    /// <summary>A server whose serving fails once started (its hub's main fails with it).</summary>
    private sealed class FailingServer(IPEndPoint address) : IGreenServer
    {
        public IPEndPoint Address => address;

        public void Start()
        {
        }

        public async Task ServeForeverAsync()
        {
            await Gevent.Sleep(0);
            throw new IOException("the disk is gone");
        }

        public Task StopAsync(TimeSpan? timeout = null) => Task.CompletedTask;
    }
}
