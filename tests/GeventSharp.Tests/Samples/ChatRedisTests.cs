using System.Diagnostics;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using GeventSharp.Http;
using GeventSharp.Net;
using GeventSharp.Samples.Chat;
using GeventSharp.Tests.Net;
using Xunit;

namespace GeventSharp.Tests.Samples;

/// <summary>A redis-server of the test's own on a free loopback port (Debian's redis-server; .ci/run installs it), which a test can kill and restart.</summary>
public sealed class RedisFixture : IDisposable
{
    private Process _process;

    public RedisFixture()
    {
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        _process = Launch();
    }

    public int Port { get; }

    public string Configuration => $"127.0.0.1:{Port}";

    /// <summary>
    /// A store connected to this Redis. The store starts even when its first connection attempt
    /// fails (it keeps retrying, as a chat server must when Redis is down); a test that needs Redis
    /// up waits here until it is connected, instead of failing on a CI runner whose first attempt
    /// took longer than the store's 2 s connect timeout.
    /// </summary>
    public async Task<RedisChatStore> ConnectAsync(string prefix)
    {
        RedisChatStore store = await RedisChatStore.ConnectAsync(Configuration, prefix);
        for (int i = 0; !store.IsConnected; i++)
        {
            if (i == 600)
            {
                await store.DisposeAsync();
                throw new TimeoutException($"The store did not connect to the test's Redis at {Configuration} within 30 s.");
            }

            await Gevent.Sleep(0.05); // real-time: waiting for a reconnection by StackExchange.Redis's own timer
        }

        return store;
    }

    /// <summary>kill -9: Redis and everything in it (no persistence) are gone.</summary>
    public void Kill()
    {
        _process.Kill();
        _process.WaitForExit();
        _process.Dispose();
    }

    /// <summary>A fresh, empty Redis on the same port.</summary>
    public void Restart() => _process = Launch();

    public void Dispose() => Kill();

    private Process Launch()
    {
        string server = Environment.GetEnvironmentVariable("REDIS_SERVER") ?? "/usr/bin/redis-server";
        if (!File.Exists(server))
        {
            throw new InvalidOperationException($"No redis-server at {server}: install Debian's redis-server (apt-get install redis-server) or set REDIS_SERVER.");
        }

        Process process = Process.Start(new ProcessStartInfo(server, $"--port {Port} --bind 127.0.0.1 --save \"\" --appendonly no")
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        })!;
        process.OutputDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        for (int i = 0; ; i++)
        {
            try
            {
                using var c = new TcpClient();
                c.Connect(IPAddress.Loopback, Port);
                return process;
            }
            catch (SocketException) when (i < 100)
            {
                Thread.Sleep(50); // real-time: waiting for a child process to listen
            }
        }
    }
}

/// <summary>Two chat servers (two "processes") sharing rooms, names, sessions and history through Redis.</summary>
public class ChatRedisTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    private static string Prefix() => "test" + Guid.NewGuid().ToString("N");

    [Fact]
    public void AnyInstanceServesAnyUser_WithTheSameSequence() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        string prefix = Prefix();
        await using RedisChatStore storeA = await redis.ConnectAsync(prefix);
        await using RedisChatStore storeB = await redis.ConnectAsync(prefix);
        (HttpServer serverA, Uri a) = await ChatServer.StartAsync(new ChatApp(storeA));
        (HttpServer serverB, Uri b) = await ChatServer.StartAsync(new ChatApp(storeB));
        await using HttpServer _ = serverA;
        await using HttpServer __ = serverB;

        using var alice = new ChatClient(a);
        using var bob = new ChatClient(b);
        await alice.PageAsync("/python/alice");
        await bob.PageAsync("/python/bob");

        Greenlet<string[]> bobPoll = Gevent.Spawn(() => bob.NextSaidAsync("python", "bob"));
        await alice.SayAsync("python", "alice", "via both");
        Assert.Equal(["alice:via both"], await bobPoll);

        using var carol = new ChatClient(b);
        Assert.Contains("via both", await carol.PageAsync("/python/carol")); // backlog from Redis, on the other server

        // Alice's session, taken to the other instance (no sticky balancer): she speaks and listens there.
        using var aliceOnB = new ChatClient(b);
        aliceOnB.Jar.Add(b, new Cookie("chat_session", alice.Session));
        aliceOnB.Csrf = alice.Csrf;
        await aliceOnB.SayAsync("python", "alice", "from B");
        var heardOnA = new List<string>();
        while (!heardOnA.Contains("alice:from B"))
        {
            heardOnA.AddRange(await alice.NextSaidAsync("python", "alice")); // A's window catches up
        }

        Assert.Equal(["alice:via both", "alice:from B"], heardOnA);
        Batch onA = await alice.PollAsync("python", "alice", 0);
        Batch onB = await aliceOnB.PollAsync("python", "alice", 0); // B acknowledged "from B" only once its own window held it (read your writes), whenever Redis's notice reaches B
        Assert.Equal(onA.Messages.Select(m => (m.Id, m.Line)), onB.Messages.Select(m => (m.Id, m.Line))); // one sequence, the same ids
        Assert.Equal(["alice:via both", "alice:from B"], onB.Said);

        using var impostor = new ChatClient(b);
        using HttpResponseMessage taken = await impostor.GetAsync("/django/alice");
        Assert.Equal(HttpStatusCode.Conflict, taken.StatusCode); // alice's name is held, on every instance

        // A room made on A exists on B.
        await alice.PageAsync("/lounge/alice");
        Assert.Contains("href=\"/lounge/bob\"", await bob.PageAsync("/bob"));
    });
}

/// <summary>Redis killed and restarted under two chat servers: 503s meanwhile, background work survives, everything recovers, no name is held twice.</summary>
public class ChatRedisOutageTests
{
    [Fact]
    public void RedisKilledAndRestarted_503sWhileDown_BackgroundWorkSurvives_AndNoNameIsOwnedTwice()
    {
        using var redis = new RedisFixture();
        var log = new List<string>();
        bool Logged(string what)
        {
            lock (log)
            {
                return log.Any(m => m.Contains(what, StringComparison.Ordinal));
            }
        }

        var options = new ChatOptions { JanitorInterval = TimeSpan.FromSeconds(0.3), Log = m => { lock (log) { log.Add(m); } } };
        NetHub.Run(PollerKind.Epoll, async () =>
        {
            string prefix = "outage";
            await using RedisChatStore storeA = await redis.ConnectAsync(prefix);
            await using RedisChatStore storeB = await redis.ConnectAsync(prefix);
            var appA = new ChatApp(storeA, options);
            var appB = new ChatApp(storeB, options);
            (HttpServer serverA, Uri a) = await ChatServer.StartAsync(appA);
            (HttpServer serverB, Uri b) = await ChatServer.StartAsync(appB);
            await using HttpServer _ = serverA;
            await using HttpServer __ = serverB;
            appA.StartJanitor();
            appB.StartJanitor();

            using var alice = new ChatClient(a);
            using var bob = new ChatClient(b);
            await alice.PageAsync("/python/alice");
            await bob.PageAsync("/python/bob");
            await alice.SayAsync("python", "alice", "before");

            // Alice keeps a WebSocket open on A: she is active through the whole outage.
            using var ws = new System.Net.WebSockets.ClientWebSocket();
            ws.Options.Cookies = alice.Jar;
            await ws.ConnectAsync(new Uri($"ws://{serverA.Address}/ws/python/alice?after={alice.Last}"), default);
            redis.Kill();
            HttpStatusCode status = default;
            for (int i = 0; i < 100 && status != HttpStatusCode.ServiceUnavailable; i++)
            {
                using HttpResponseMessage r = await alice.PutAsync("python", "alice", "during");
                status = r.StatusCode;
                if (status == HttpStatusCode.ServiceUnavailable)
                {
                    Assert.Contains("try again", await r.Content.ReadAsStringAsync(Greenlet.Current!.CancellationToken));
                    Assert.NotNull(r.Headers.RetryAfter);
                }
                else
                {
                    await Gevent.Sleep(0.1);
                }
            }

            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            using (var newcomer = new ChatClient(b))
            using (HttpResponseMessage join = await newcomer.GetAsync("/python/dave"))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, join.StatusCode);
            }

            await Gevent.Sleep(1.5); // several janitor and follower rounds fail meanwhile
            Assert.Equal(2, appA.BackgroundAlive);
            Assert.Equal(2, appB.BackgroundAlive);
            redis.Restart(); // empty: every claim is gone
            HttpStatusCode after = default;
            for (int i = 0; i < 200 && after != HttpStatusCode.OK; i++)
            {
                using HttpResponseMessage r = await alice.PutAsync("python", "alice", "after");
                after = r.StatusCode;
                if (after != HttpStatusCode.OK)
                {
                    await Gevent.Sleep(0.1);
                }
            }

            Assert.Equal(HttpStatusCode.OK, after);
            for (int i = 0; i < 200; i++) // the other instance reconnects on its own schedule
            {
                using HttpResponseMessage r = await bob.GetAsync("/python/bob");
                if (r.StatusCode == HttpStatusCode.OK)
                {
                    break;
                }

                await Gevent.Sleep(0.1);
            }
            // Someone else asks for "alice" on the other instance: she still holds it.
            using var mallory = new ChatClient(b);
            using (HttpResponseMessage steal = await mallory.GetAsync("/python/alice"))
            {
                Assert.Equal(HttpStatusCode.Conflict, steal.StatusCode);
            }

            await mallory.PageAsync("/python/mallory");
            using (HttpResponseMessage forged = await mallory.PutAsync("python", "alice", "I am alice"))
            {
                Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);
            }
            // Bob, on the other instance, gets what alice said after the recovery (a new sequence: Redis lost the old one).
            Batch seen = await bob.PollAsync("python", "bob");
            string[] said = seen.Said;
            while (!said.Contains("alice:after"))
            {
                said = (await bob.PollAsync("python", "bob")).Said;
            }
            for (int i = 0; i < 100 && !(Logged("janitor recovered") && Logged("follower recovered")); i++)
            {
                await Gevent.Sleep(0.1); // each loop reports its recovery at its next round
            }

            Assert.Equal(2, appA.BackgroundAlive);
            Assert.Equal(2, appB.BackgroundAlive);
            appA.StopBackground();
            appB.StopBackground();
        });
        lock (log)
        {
            Assert.Contains(log, m => m.Contains("failed", StringComparison.Ordinal));
            Assert.True(log.Any(m => m.Contains("recovered", StringComparison.Ordinal)), string.Join("\n", log));
        }
    }
}
