using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using GeventSharp.Http;
using GeventSharp.Net;
using GeventSharp.Samples.Chat;
using GeventSharp.Tests.Http;
using GeventSharp.Tests.Net;
using Xunit;

namespace GeventSharp.Tests.Samples;

/// <summary>A redis-server of the test's own on a free loopback port (Debian's redis-server; .ci/run installs it).</summary>
public sealed class RedisFixture : IDisposable
{
    private readonly Process _process;

    public RedisFixture()
    {
        string server = Environment.GetEnvironmentVariable("REDIS_SERVER") ?? "/usr/bin/redis-server";
        if (!File.Exists(server))
        {
            throw new InvalidOperationException($"No redis-server at {server}: install Debian's redis-server (apt-get install redis-server) or set REDIS_SERVER.");
        }

        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        _process = Process.Start(new ProcessStartInfo(server, $"--port {Port} --bind 127.0.0.1 --save \"\" --appendonly no")
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        })!;
        _process.OutputDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        for (int i = 0; ; i++)
        {
            try
            {
                using var c = new TcpClient();
                c.Connect(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (i < 100)
            {
                Thread.Sleep(50); // real-time: waiting for a child process to listen, before any hub runs
            }
        }
    }

    public int Port { get; }

    public string Configuration => $"127.0.0.1:{Port}";

    public void Dispose()
    {
        _process.Kill();
        _process.WaitForExit();
        _process.Dispose();
    }
}

/// <summary>Two chat servers (two "processes") sharing rooms and history through Redis.</summary>
public class ChatRedisTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    [Fact]
    public void AMessagePutOnOneServer_ReachesMembersOnTheOther_AndTheHistoryIsShared() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        string prefix = "test" + Guid.NewGuid().ToString("N");
        await using RedisChatBus busA = await RedisChatBus.ConnectAsync(redis.Configuration, prefix);
        await using RedisChatBus busB = await RedisChatBus.ConnectAsync(redis.Configuration, prefix);
        var appA = new ChatApp(busA.History, bus: busA);
        var appB = new ChatApp(busB.History, bus: busB);
        await appA.ConnectBusAsync();
        await appB.ConnectBusAsync();
        await using var serverA = new HttpServer(NetHub.Loopback0, appA.HandleAsync);
        await using var serverB = new HttpServer(NetHub.Loopback0, appB.HandleAsync);
        serverA.Start();
        serverB.Start();

        using RawHttpClient alice = await RawHttpClient.ConnectAsync(serverA.Address!);
        using RawHttpClient bob = await RawHttpClient.ConnectAsync(serverB.Address!);
        string aliceCookie = await JoinAsync(alice, "/python/alice");
        string bobCookie = await JoinAsync(bob, "/python/bob");

        await bob.SendAsync($"POST /poll/python/bob HTTP/1.1\r\nHost: b\r\nCookie: {bobCookie}\r\nContent-Length: 0\r\n\r\n");
        Greenlet<RawResponse> bobPoll = Gevent.Spawn(() => bob.ReadResponseAsync());
        await alice.SendAsync($"POST /put/python/alice HTTP/1.1\r\nHost: a\r\nCookie: {aliceCookie}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 16\r\n\r\nmessage=via+both");
        Assert.Equal(200, (await alice.ReadResponseAsync()).Status);
        Assert.Equal("[\"alice:via both\"]", (await bobPoll).Body);

        using RawHttpClient carol = await RawHttpClient.ConnectAsync(serverB.Address!);
        await carol.SendAsync("GET /python/carol HTTP/1.1\r\nHost: b\r\n\r\n");
        Assert.Contains("<li>alice:via both</li>", (await carol.ReadResponseAsync()).Body); // backlog from Redis, on the other server

        using RawHttpClient impostor = await RawHttpClient.ConnectAsync(serverB.Address!);
        await impostor.SendAsync("GET /django/alice HTTP/1.1\r\nHost: b\r\n\r\n");
        Assert.Equal(409, (await impostor.ReadResponseAsync()).Status); // alice's name is held on server A
    });

    private static async Task<string> JoinAsync(RawHttpClient client, string path)
    {
        await client.SendAsync($"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n");
        RawResponse r = await client.ReadResponseAsync();
        Assert.Equal(200, r.Status);
        return r.Header("Set-Cookie")!.Split(';')[0];
    }
}
