using System.Net;
using System.Net.Http;
using System.Text.Json;
using GeventSharp.Http;
using GeventSharp.Net;
using GeventSharp.Samples.Chat;
using GeventSharp.Testing;
using GeventSharp.Tests.Http;
using GeventSharp.Tests.Net;
using Xunit;

namespace GeventSharp.Tests.Samples;

/// <summary>The chat room sample (S12), driven over HTTP by one HttpClient per "browser" (each with its own cookies).</summary>
public class ChatTests
{
    private sealed class Browser(Uri server) : IDisposable
    {
        private readonly HttpClient _http = new(new HttpClientHandler { CookieContainer = new CookieContainer() }) { BaseAddress = server };

        public Task<HttpResponseMessage> GetAsync(string path) => _http.GetAsync(path);

        public async Task<string> PageAsync(string path)
        {
            using HttpResponseMessage r = await _http.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            return await r.Content.ReadAsStringAsync();
        }

        public Task<HttpResponseMessage> PutAsync(string room, string uid, string message)
            => _http.PostAsync($"/put/{room}/{uid}", new FormUrlEncodedContent(new Dictionary<string, string> { ["message"] = message }));

        public async Task<string[]> PollAsync(string room, string uid)
        {
            using HttpResponseMessage r = await _http.PostAsync($"/poll/{room}/{uid}", null);
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            return JsonSerializer.Deserialize<string[]>(await r.Content.ReadAsStringAsync())!;
        }

        public void Dispose() => _http.Dispose();
    }

    private static async Task<(HttpServer Server, Uri Address)> StartAsync(ChatApp app)
    {
        var server = new HttpServer(new IPEndPoint(IPAddress.Loopback, 0), app.HandleAsync);
        server.Start();
        await Gevent.Sleep(0);
        return (server, new Uri($"http://{server.Address}"));
    }

    [Fact]
    public void Put_ReachesEveryMemberOfTheRoom_AndNoOtherRoom() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        var app = new ChatApp(new MemoryChatHistory(), new ChatOptions { PollTimeout = TimeSpan.FromSeconds(0.2) });
        (HttpServer server, Uri address) = await StartAsync(app);
        await using HttpServer _ = server;
        using var alice = new Browser(address);
        using var bob = new Browser(address);
        using var carol = new Browser(address);
        await alice.PageAsync("/python/alice");
        await bob.PageAsync("/python/bob");
        await carol.PageAsync("/django/carol");

        Greenlet<string[]> bobPoll = Gevent.Spawn(() => bob.PollAsync("python", "bob"));
        using (HttpResponseMessage put = await alice.PutAsync("python", "alice", "hello python"))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        Assert.Equal(["alice:hello python"], await bobPoll);
        Assert.Equal(["alice:hello python"], await alice.PollAsync("python", "alice"));
        Assert.Empty(await carol.PollAsync("django", "carol")); // [] after the poll timeout: other rooms hear nothing
        Assert.Equal(2, app.MemberCount("python"));
    });

    [Fact]
    public void WebSocket_PushesTheRoomsMessages_AndNeedsTheSessionCookie() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        var app = new ChatApp(new MemoryChatHistory());
        (HttpServer server, Uri address) = await StartAsync(app);
        await using HttpServer _ = server;
        var jar = new CookieContainer();
        using var alice = new HttpClient(new HttpClientHandler { CookieContainer = jar }) { BaseAddress = address };
        (await alice.GetAsync("/python/alice")).Dispose();

        using var ws = new System.Net.WebSockets.ClientWebSocket();
        ws.Options.Cookies = jar;
        await ws.ConnectAsync(new Uri($"ws://{server.Address}/ws/python/alice"), default);
        (await alice.PostAsync("/put/python/alice", new FormUrlEncodedContent(new Dictionary<string, string> { ["message"] = "pushed" }))).Dispose();
        byte[] buffer = new byte[256];
        var r = await ws.ReceiveAsync(buffer, default);
        Assert.Equal("alice:pushed", System.Text.Encoding.UTF8.GetString(buffer, 0, r.Count));
        await ws.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, null, default);

        using var stranger = new System.Net.WebSockets.ClientWebSocket();
        stranger.Options.CollectHttpResponseDetails = true;
        await Assert.ThrowsAsync<System.Net.WebSockets.WebSocketException>(() => stranger.ConnectAsync(new Uri($"ws://{server.Address}/ws/python/alice"), default));
        Assert.Equal(HttpStatusCode.Forbidden, stranger.HttpStatusCode);
    });

    [Fact]
    public void Join_ShowsTheLast25Messages_AsText_NeverAsHtml() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        var history = new MemoryChatHistory();
        for (int i = 1; i <= 30; i++)
        {
            await history.AppendAsync("python", $"old:message {i}");
        }

        await history.AppendAsync("python", "mallory:<script>alert(1)</script>");
        (HttpServer server, Uri address) = await StartAsync(new ChatApp(history));
        await using HttpServer _ = server;
        using var dave = new Browser(address);
        string page = await dave.PageAsync("/python/dave");
        Assert.DoesNotContain("message 6<", page);
        Assert.Contains("<li>old:message 7</li>", page);
        Assert.Contains("<li>old:message 30</li>", page);
        Assert.Contains("mallory:&lt;script&gt;alert(1)&lt;/script&gt;", page);
        Assert.DoesNotContain("<script>alert(1)", page);
        Assert.Contains("li.textContent = line", page); // live messages are added as text too
    });

    [Fact]
    public void ANameBelongsToTheBrowserThatTookIt() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        (HttpServer server, Uri address) = await StartAsync(new ChatApp(new MemoryChatHistory()));
        await using HttpServer _ = server;
        using var alice = new Browser(address);
        using var impostor = new Browser(address);
        await alice.PageAsync("/python/alice");
        await impostor.PageAsync("/python/eve");

        using HttpResponseMessage forged = await impostor.PutAsync("python", "alice", "I am alice");
        Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);
        using HttpResponseMessage taken = await impostor.GetAsync("/python/alice");
        Assert.Equal(HttpStatusCode.Conflict, taken.StatusCode);
        Assert.Contains("taken", await taken.Content.ReadAsStringAsync());
    });

    [Theory]
    [InlineData("/put/python/alice", "", HttpStatusCode.BadRequest)]
    [InlineData("/put/python/alice", "x1001", HttpStatusCode.RequestEntityTooLarge)]
    [InlineData("/put/cobol/alice", "hi", HttpStatusCode.NotFound)]
    [InlineData("/put/django/alice", "hi", HttpStatusCode.Conflict)] // alice never joined django
    public void BadPuts_AreAnsweredWithWhatWasWrong(string path, string message, HttpStatusCode expected) => NetHub.Run(PollerKind.Epoll, async () =>
    {
        (HttpServer server, Uri address) = await StartAsync(new ChatApp(new MemoryChatHistory()));
        await using HttpServer _ = server;
        using var alice = new Browser(address);
        await alice.PageAsync("/python/alice");
        string[] parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        using HttpResponseMessage r = await alice.PutAsync(parts[1], parts[2], message == "x1001" ? new string('x', 1001) : message);
        Assert.Equal(expected, r.StatusCode);
        Assert.False(string.IsNullOrWhiteSpace(await r.Content.ReadAsStringAsync()));
    });

    [Fact]
    public void UnknownPagesAndNames_Get404() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        (HttpServer server, Uri address) = await StartAsync(new ChatApp(new MemoryChatHistory()));
        await using HttpServer _ = server;
        using var b = new Browser(address);
        Assert.Contains("Your name", await b.PageAsync("/"));
        Assert.Contains("/django/zoe", await b.PageAsync("/zoe"));
        foreach (string path in new[] { "/cobol/zoe", "/python/bad%20name", "/a/b/c" })
        {
            using HttpResponseMessage r = await b.GetAsync(path);
            Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        }
    });

    [Fact]
    public void Poll_AnswersAnEmptyListAfter10Seconds_AndIdleMembersAreForgotten()
    {
        // On the virtual clock the client must be a green socket too: HttpClient's I/O runs on
        // other threads, and virtual time does not wait for foreign work.
        ChatApp app = new(new MemoryChatHistory(), new ChatOptions { IdleTimeout = TimeSpan.FromSeconds(60) });
        VirtualClock clock = NetHub.RunVirtual(PollerKind.Epoll, async () =>
        {
            (HttpServer server, Uri _) = await StartAsync(app);
            Greenlet janitor = app.StartJanitor();
            var time = (VirtualClock)Hub.Current!.TimeProvider;
            using RawHttpClient alice = await RawHttpClient.ConnectAsync(server.Address!);
            await alice.SendAsync("GET /python/alice HTTP/1.1\r\nHost: x\r\n\r\n");
            RawResponse joined = await alice.ReadResponseAsync();
            string cookie = joined.Header("Set-Cookie")!.Split(';')[0];

            TimeSpan before = time.Elapsed;
            await alice.SendAsync($"POST /poll/python/alice HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\nContent-Length: 0\r\n\r\n");
            RawResponse poll = await alice.ReadResponseAsync();
            Assert.Equal("[]", poll.Body);
            Assert.Equal(TimeSpan.FromSeconds(10), time.Elapsed - before);
            Assert.Equal(1, app.MemberCount("python"));

            await Gevent.Sleep(75); // alice stops polling
            Assert.Equal(0, app.MemberCount("python"));
            Assert.Equal(0, app.UserCount);
            using RawHttpClient other = await RawHttpClient.ConnectAsync(server.Address!);
            await other.SendAsync("GET /python/alice HTTP/1.1\r\nHost: x\r\n\r\n");
            Assert.Equal(200, (await other.ReadResponseAsync()).Status); // the name is free again
            janitor.Kill();
            await server.StopAsync();
        });
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(85));
    }

    [Fact]
    public void AMemberWhoDoesNotPoll_KeepsOnlyTheNewestMessages() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        (HttpServer server, Uri address) = await StartAsync(new ChatApp(new MemoryChatHistory(), new ChatOptions { QueueLimit = 3 }));
        await using HttpServer _ = server;
        using var alice = new Browser(address);
        using var bob = new Browser(address);
        await alice.PageAsync("/python/alice");
        await bob.PageAsync("/python/bob");
        for (int i = 1; i <= 5; i++)
        {
            (await alice.PutAsync("python", "alice", $"m{i}")).Dispose();
        }

        Assert.Equal(["alice:m3", "alice:m4", "alice:m5"], await bob.PollAsync("python", "bob"));
    });

    [Fact]
    public void SqliteHistory_SurvivesARestart()
    {
        string db = Path.Combine(Path.GetTempPath(), $"geventsharp-chat-{Guid.NewGuid():N}.db");
        try
        {
            NetHub.Run(PollerKind.Epoll, async () =>
            {
                using var history = new SqliteChatHistory(db);
                (HttpServer server, Uri address) = await StartAsync(new ChatApp(history));
                await using HttpServer _ = server;
                using var alice = new Browser(address);
                await alice.PageAsync("/django/alice");
                (await alice.PutAsync("django", "alice", "remember me")).Dispose();
            });

            NetHub.Run(PollerKind.Epoll, async () =>
            {
                using var history = new SqliteChatHistory(db);
                (HttpServer server, Uri address) = await StartAsync(new ChatApp(history));
                await using HttpServer _ = server;
                using var bob = new Browser(address);
                Assert.Contains("<li>alice:remember me</li>", await bob.PageAsync("/django/bob"));
                Assert.Equal(["alice:remember me"], await history.LastAsync("django", 25));
            });
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            File.Delete(db);
        }
    }
}
