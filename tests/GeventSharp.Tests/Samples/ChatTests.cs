using System.Net;
using System.Net.Http;
using System.Net.WebSockets;
using System.Text;
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
    /// <summary>Options whose rate limits stay out of the way of tests that put a lot.</summary>
    private static readonly ChatOptions Generous = new() { PutBurst = 1000, AddressPutBurst = 1000 };

    private static ChatApp NewApp(ChatOptions? options = null) => new(new MemoryChatHistory(), options ?? Generous);

    [Fact]
    public void Put_ReachesEveryMemberOfTheRoom_AndNoOtherRoom() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        var app = NewApp(Generous with { PollTimeout = TimeSpan.FromSeconds(0.2) });
        (HttpServer server, Uri address) = await ChatServer.StartAsync(app);
        await using HttpServer _ = server;
        using var alice = new ChatClient(address);
        using var bob = new ChatClient(address);
        using var carol = new ChatClient(address);
        await alice.PageAsync("/python/alice");
        await bob.PageAsync("/python/bob");
        await carol.PageAsync("/django/carol");

        Greenlet<string[]> bobPoll = Gevent.Spawn(() => bob.NextSaidAsync("python", "bob"));
        await alice.SayAsync("python", "alice", "hello python");
        Assert.Equal(["alice:hello python"], await bobPoll);
        Assert.Equal(["alice:hello python"], await alice.NextSaidAsync("python", "alice"));
        Assert.Empty((await carol.PollAsync("django", "carol")).Said); // nothing after the poll timeout: other rooms hear nothing
        Assert.Equal(2, app.MemberCount("python"));
    });

    [Fact]
    public void EveryConnectionOfAUser_GetsEveryMessage_AndAnAbandonedPollTakesNothing() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        var app = NewApp();
        (HttpServer server, Uri address) = await ChatServer.StartAsync(app);
        await using HttpServer _ = server;
        using var alice = new ChatClient(address);
        using var bob = new ChatClient(address);
        await alice.PageAsync("/python/alice");
        await bob.PageAsync("/python/bob");
        long start = bob.Last;

        // Bob's two tabs: two polls from the same cursor, both get the message.
        Greenlet<Batch> tab1 = Gevent.Spawn(() => bob.PollAsync("python", "bob", start));
        Greenlet<Batch> tab2 = Gevent.Spawn(() => bob.PollAsync("python", "bob", start));
        await ChatServer.ConnectionsOpenAsync(app, "python", "bob", 2);
        await alice.SayAsync("python", "alice", "to both tabs");
        Assert.Contains("alice:to both tabs", (await tab1).Said);
        Assert.Contains("alice:to both tabs", (await tab2).Said);
        long latest = (await tab1).Messages[^1].Id;

        // A poll abandoned by a reload (its connection dropped) is waiting when the next message comes: nothing is lost.
        using (var reloading = new ChatClient(address))
        {
            reloading.Jar.Add(address, new Cookie("chat_session", bob.Session));
            reloading.Epoch = bob.Epoch;
            Greenlet<HttpResponseMessage> abandoned = Gevent.Spawn(() => reloading.PollRawAsync("python", "bob", latest)); // waits: nothing after latest yet
            await ChatServer.ConnectionsOpenAsync(app, "python", "bob", 1);
            abandoned.Kill();
        }

        await alice.SayAsync("python", "alice", "after the reload");
        Batch resumed = await bob.PollAsync("python", "bob", start);
        Assert.Equal(["alice:to both tabs", "alice:after the reload"], resumed.Said);

        // Resuming from any id gives exactly what came after it: no gap, no repeat.
        for (int i = 1; i <= 30; i++)
        {
            await alice.SayAsync("python", "alice", $"m{i}");
        }

        Batch all = await bob.PollAsync("python", "bob", start);
        long mid = all.Messages[10].Id;
        Batch rest = await bob.PollAsync("python", "bob", mid);
        Assert.Equal(all.Messages.Skip(11).Select(m => m.Id), rest.Messages.Select(m => m.Id));
        Assert.True(all.Messages.Zip(all.Messages.Skip(1)).All(p => p.First.Id < p.Second.Id));
    });

    [Fact]
    public void AClientOlderThanTheWindow_GetsTheRestFromTheStore_AndALostSequenceIsAReset() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        var history = new MemoryChatHistory();
        var app = new ChatApp(history, Generous with { WindowSize = 5 });
        (HttpServer server, Uri address) = await ChatServer.StartAsync(app);
        await using HttpServer _ = server;
        using var alice = new ChatClient(address);
        await alice.PageAsync("/python/alice");
        long start = alice.Last;
        for (int i = 1; i <= 40; i++)
        {
            await alice.SayAsync("python", "alice", $"m{i}");
        }

        Batch b = await alice.PollAsync("python", "alice", start);
        Assert.Equal(Enumerable.Range(1, 40).Select(i => $"alice:m{i}"), b.Said);

        // Another sequence (a memory store after a restart): the client is told to start again.
        using var stale = new ChatClient(address);
        stale.Jar.Add(address, new Cookie("chat_session", alice.Session));
        stale.Epoch = "gone";
        Batch reset = await stale.PollAsync("python", "alice", 12345);
        Assert.True(reset.Reset);
        Assert.Equal(alice.Epoch, reset.Epoch);
        Assert.Equal(25, reset.Messages.Length);
    });

    [Fact]
    public void WebSocket_PushesTheSequenceFromTheCursor_AndNeedsTheSessionAndOrigin() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        (HttpServer server, Uri address) = await ChatServer.StartAsync(NewApp());
        await using HttpServer _ = server;
        using var alice = new ChatClient(address);
        await alice.PageAsync("/python/alice");
        await alice.SayAsync("python", "alice", "before");
        long afterJoin = alice.Last;

        using var ws = new ClientWebSocket();
        ws.Options.Cookies = alice.Jar;
        ws.Options.SetRequestHeader("Origin", address.ToString().TrimEnd('/'));
        await ws.ConnectAsync(new Uri($"ws://{server.Address}/ws/python/alice?after={afterJoin}&epoch={alice.Epoch}"), default);
        Assert.Equal("hello", Batch.Parse(await ReceiveAsync(ws)).Type);
        Assert.Equal(["alice:before"], Batch.Parse(await ReceiveAsync(ws)).Said); // what came after the page's last id
        await alice.SayAsync("python", "alice", "pushed");
        Batch pushed = Batch.Parse(await ReceiveAsync(ws));
        Assert.Equal("messages", pushed.Type);
        Assert.Equal(["alice:pushed"], pushed.Said);
        await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, null, default);

        using var stranger = new ClientWebSocket();
        stranger.Options.CollectHttpResponseDetails = true;
        await Assert.ThrowsAsync<WebSocketException>(() => stranger.ConnectAsync(new Uri($"ws://{server.Address}/ws/python/alice"), default));
        Assert.Equal(HttpStatusCode.Forbidden, stranger.HttpStatusCode);

        using var otherSite = new ClientWebSocket(); // alice's cookie, sent by a page of another origin
        otherSite.Options.Cookies = alice.Jar;
        otherSite.Options.SetRequestHeader("Origin", "http://127.0.0.1:1");
        otherSite.Options.CollectHttpResponseDetails = true;
        await Assert.ThrowsAsync<WebSocketException>(() => otherSite.ConnectAsync(new Uri($"ws://{server.Address}/ws/python/alice"), default));
        Assert.Equal(HttpStatusCode.Forbidden, otherSite.HttpStatusCode);
    });

    internal static async Task<string> ReceiveAsync(ClientWebSocket ws)
    {
        var buffer = new byte[64 * 1024];
        int n = 0;
        WebSocketReceiveResult r;
        do
        {
            r = await ws.ReceiveAsync(buffer.AsMemory(n).ToArray() is var _ ? new ArraySegment<byte>(buffer, n, buffer.Length - n) : default, default);
            n += r.Count;
        }
        while (!r.EndOfMessage);
        return Encoding.UTF8.GetString(buffer, 0, n);
    }

    [Fact]
    public void Join_ShowsTheLast25Messages_AsText_NeverAsHtml() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        var history = new MemoryChatHistory();
        for (int i = 1; i <= 30; i++)
        {
            await history.AppendLineAsync("python", $"old:message {i}");
        }

        await history.AppendLineAsync("python", "mallory:<script>alert(1)</script>");
        (HttpServer server, Uri address) = await ChatServer.StartAsync(new ChatApp(history));
        await using HttpServer _ = server;
        using var dave = new ChatClient(address);
        string page = await dave.PageAsync("/python/dave");
        Assert.DoesNotContain(">message 7<", page); // the last 25: 24 messages and dave's arrival
        Assert.Contains(">message 8<", page);
        Assert.Contains(">message 30<", page);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", page);
        Assert.DoesNotContain("<script>alert", page);
        Assert.DoesNotContain("<script>", page.Replace("<script src=\"/static/chat.js\" defer></script>", "", StringComparison.Ordinal)); // no inline script at all
        using HttpResponseMessage js = await dave.GetAsync("/static/chat.js");
        Assert.Contains("text.textContent = m.text", await js.Content.ReadAsStringAsync()); // live messages are added as text too

        // Older than the backlog: on request.
        using HttpResponseMessage older = await dave.GetAsync("/history/python?before=7");
        Assert.Equal(Enumerable.Range(1, 6).Select(i => $"old:message {i}"), Batch.Parse("{\"epoch\":\"\",\"messages\":" + (await older.Content.ReadAsStringAsync())[12..^1] + "}").Said);
    });

    [Fact]
    public void Pages_CarryAStrictPolicy_AndCookiesAreSecureUnderHttps() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        (HttpServer server, Uri address) = await ChatServer.StartAsync(NewApp(new ChatOptions { Https = true }));
        await using HttpServer _ = server;
        using var http = new HttpClient { BaseAddress = address };
        using HttpResponseMessage page = await http.GetAsync("/python/alice");
        string csp = string.Join(";", page.Headers.GetValues("Content-Security-Policy"));
        Assert.DoesNotContain("unsafe-inline", csp);
        Assert.Contains("script-src 'self'", csp);
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.Equal("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.True(page.Headers.Contains("Referrer-Policy"));
        string cookie = page.Headers.GetValues("Set-Cookie").Single();
        Assert.Contains("; Secure", cookie);
        Assert.Contains("HttpOnly", cookie);
        Assert.StartsWith("__Host-", cookie);
    });

    [Fact]
    public void ANameBelongsToTheBrowserThatTookIt() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        (HttpServer server, Uri address) = await ChatServer.StartAsync(NewApp());
        await using HttpServer _ = server;
        using var alice = new ChatClient(address);
        using var impostor = new ChatClient(address);
        await alice.PageAsync("/python/alice");
        await impostor.PageAsync("/python/eve");

        using HttpResponseMessage forged = await impostor.PutAsync("python", "alice", "I am alice");
        Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);
        using HttpResponseMessage stolenCsrf = await impostor.PutAsync("python", "alice", "I am alice", alice.Csrf);
        Assert.Equal(HttpStatusCode.Forbidden, stolenCsrf.StatusCode);
        foreach (string name in new[] { "alice", "Alice", "ＡＬＩＣＥ" }) // one name, however it is written
        {
            using HttpResponseMessage taken = await impostor.GetAsync($"/python/{name}");
            Assert.Equal(HttpStatusCode.Conflict, taken.StatusCode);
            Assert.Contains("taken", await taken.Content.ReadAsStringAsync());
        }
    });

    [Fact]
    public void UnicodeNames_AreNormalised_AndInvisibleOrControlCharactersRefused() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        (HttpServer server, Uri address) = await ChatServer.StartAsync(NewApp());
        await using HttpServer _ = server;
        using var jose = new ChatClient(address);
        Assert.Contains("data-uid=\"José\"", WebUtility.HtmlDecode(await jose.PageAsync("/python/Jos%C3%A9")));
        await jose.SayAsync("python", "José", "¡hola!");
        Assert.Contains("José:¡hola!", (await jose.PollAsync("python", "José", 0)).Said);
        using var other = new ChatClient(address);
        using (HttpResponseMessage decomposed = await other.GetAsync("/python/Jose%CC%81")) // e + combining acute: the same name
        {
            Assert.Equal(HttpStatusCode.Conflict, decomposed.StatusCode);
        }

        await other.PageAsync("/python/李小龍");
        foreach (string bad in new[] { "ali%E2%80%8Bce", "%E2%80%AEecila", "bad%20name", "a%07b", "a:b", new string('x', 33), "%F0%9F%98%80" })
        {
            using HttpResponseMessage r = await other.GetAsync($"/python/{bad}");
            Assert.True(r.StatusCode == HttpStatusCode.NotFound, bad);
        }
    });

    [Theory]
    [InlineData("", "", HttpStatusCode.BadRequest)]
    [InlineData("x1001", "", HttpStatusCode.RequestEntityTooLarge)]
    [InlineData("hi", "cobol", HttpStatusCode.NotFound)]
    [InlineData("hi", "nocsrf", HttpStatusCode.Forbidden)]
    [InlineData("hi", "othersite", HttpStatusCode.Forbidden)]
    public void BadPuts_AreAnsweredWithWhatWasWrong(string message, string variant, HttpStatusCode expected) => NetHub.Run(PollerKind.Epoll, async () =>
    {
        (HttpServer server, Uri address) = await ChatServer.StartAsync(NewApp());
        await using HttpServer _ = server;
        using var alice = new ChatClient(address, variant == "othersite" ? "http://127.0.0.1:1" : null);
        await alice.PageAsync("/python/alice");
        using HttpResponseMessage r = await alice.PutAsync(
            variant == "cobol" ? "cobol" : "python",
            "alice",
            message == "x1001" ? new string('x', 1001) : message,
            variant == "nocsrf" ? "" : null);
        Assert.Equal(expected, r.StatusCode);
        Assert.False(string.IsNullOrWhiteSpace(await r.Content.ReadAsStringAsync()));
    });

    [Fact]
    public void ABodyOverTheRoutesLimit_IsRefusedBeforeItIsRead() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        (HttpServer server, Uri address) = await ChatServer.StartAsync(NewApp());
        await using HttpServer _ = server;
        using var alice = new ChatClient(address);
        await alice.PageAsync("/python/alice");
        string cookie = $"chat_session={alice.Session}";

        // 25 MB declared, not one byte sent: the answer comes anyway, and the connection is closed.
        using (RawHttpClient raw = await RawHttpClient.ConnectAsync(server.Address))
        {
            await raw.SendAsync($"POST /put/python/alice HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\nX-CSRF-Token: {alice.Csrf}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 25000000\r\n\r\n");
            RawResponse r = await raw.ReadResponseAsync();
            Assert.Equal(413, r.Status);
            Assert.Equal("close", r.Header("Connection"));
        }

        // Chunked, no length declared: read no further than the limit.
        using (RawHttpClient raw = await RawHttpClient.ConnectAsync(server.Address))
        {
            string chunk = "message=" + new string('x', 8000);
            await raw.SendAsync($"POST /put/python/alice HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\nX-CSRF-Token: {alice.Csrf}\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n");
            for (int i = 0; i < 3; i++)
            {
                await raw.SendAsync($"{chunk.Length:x}\r\n{chunk}\r\n");
            }

            Assert.Equal(413, (await raw.ReadResponseAsync()).Status);
        }

        using (RawHttpClient raw = await RawHttpClient.ConnectAsync(server.Address))
        {
            await raw.SendAsync($"POST /poll/python/alice HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 5000\r\n\r\n");
            Assert.Equal(413, (await raw.ReadResponseAsync()).Status);
        }
    });

    [Fact]
    public void RateLimits_Answer429WithRetryAfter_AndRefill()
    {
        NetHub.RunVirtual(PollerKind.Epoll, async () =>
        {
            var app = NewApp(new ChatOptions { PutBurst = 3, PutsPerSecond = 1, ClaimBurst = 2, ClaimsPerSecond = 0.1 });
            (HttpServer server, Uri _) = await ChatServer.StartAsync(app);
            using RawHttpClient client = await RawHttpClient.ConnectAsync(server.Address);
            RawResponse joined = await SendAsync(client, "GET /python/alice HTTP/1.1\r\nHost: x\r\n\r\n");
            string cookie = joined.Header("Set-Cookie")!.Split(';')[0];
            string csrf = System.Text.RegularExpressions.Regex.Match(joined.Body, "data-csrf=\"([^\"]*)\"").Groups[1].Value;
            string put = $"POST /put/python/alice HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\nX-CSRF-Token: {csrf}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 10\r\n\r\nmessage=hi";
            for (int i = 0; i < 3; i++)
            {
                Assert.Equal(200, (await SendAsync(client, put)).Status);
            }

            RawResponse limited = await SendAsync(client, put);
            Assert.Equal(429, limited.Status);
            Assert.Equal("1", limited.Header("Retry-After"));
            await Gevent.Sleep(1);
            Assert.Equal(200, (await SendAsync(client, put)).Status);

            // New names from one address: the first (alice) and one more, then 429.
            Assert.Equal(200, (await SendAsync(client, "GET /python/bob HTTP/1.1\r\nHost: x\r\n\r\n")).Status);
            RawResponse tooMany = await SendAsync(client, "GET /python/carol HTTP/1.1\r\nHost: x\r\n\r\n");
            Assert.Equal(429, tooMany.Status);
            Assert.Equal(200, (await SendAsync(client, $"GET /python/alice HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\n\r\n")).Status); // a name already held costs nothing
            await server.StopAsync();
        });
    }

    private static async Task<RawResponse> SendAsync(RawHttpClient client, string request)
    {
        await client.SendAsync(request);
        return await client.ReadResponseAsync();
    }

    [Fact]
    public void WrongMethods_Get405WithAllow_AndUnknownPages404() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        (HttpServer server, Uri address) = await ChatServer.StartAsync(NewApp());
        await using HttpServer _ = server;
        using var b = new ChatClient(address);
        Assert.Contains("Your name", await b.PageAsync("/"));
        Assert.Contains("/django/zoe", await b.PageAsync("/zoe"));
        foreach (string path in new[] { "/python/bad%20name", "/a/b/c", "/put/x" })
        {
            using HttpResponseMessage r = await b.GetAsync(path);
            Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        }

        using (HttpResponseMessage r = await b.GetAsync("/put/python/zoe"))
        {
            Assert.Equal(HttpStatusCode.MethodNotAllowed, r.StatusCode);
            Assert.Equal("POST", string.Join(",", r.Content.Headers.Allow));
        }

        using var http = new HttpClient { BaseAddress = address };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/nosuch/a/b");
        request.Headers.Add("Accept", "text/html");
        using HttpResponseMessage page = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
        Assert.Contains("<a href=\"/\">", await page.Content.ReadAsStringAsync()); // an error page with a way back
        using HttpResponseMessage post = await http.PostAsync("/python/zoe", null);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, post.StatusCode);
    });

    [Fact]
    public void UsersMakeRooms_UpToTheLimit() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        (HttpServer server, Uri address) = await ChatServer.StartAsync(NewApp(new ChatOptions { MaxRooms = 1 }));
        await using HttpServer _ = server;
        using var zoe = new ChatClient(address);
        await zoe.PageAsync("/Gardening/zoe");
        await zoe.SayAsync("gardening", "zoe", "tomatoes");
        Assert.Contains("href=\"/gardening/zoe\"", await zoe.PageAsync("/zoe"));
        using HttpResponseMessage second = await zoe.GetAsync("/knitting/zoe");
        Assert.Equal(HttpStatusCode.Forbidden, second.StatusCode);
        using HttpResponseMessage reserved = await zoe.GetAsync("/static/zoe");
        Assert.Equal(HttpStatusCode.NotFound, reserved.StatusCode);
    });

    [Fact]
    public void Poll_AnswersEmptyAfter10Seconds_PresenceHasNotices_AndIdleNamesAreFreed()
    {
        // On the virtual clock the client must be a green socket too: HttpClient's I/O runs on
        // other threads, and virtual time does not wait for foreign work.
        ChatApp app = NewApp(new ChatOptions { IdleTimeout = TimeSpan.FromSeconds(60) });
        VirtualClock clock = NetHub.RunVirtual(PollerKind.Epoll, async () =>
        {
            (HttpServer server, Uri _) = await ChatServer.StartAsync(app);
            Greenlet janitor = app.StartJanitor();
            var time = (VirtualClock)Hub.Current!.TimeProvider;
            using RawHttpClient alice = await RawHttpClient.ConnectAsync(server.Address);
            RawResponse joined = await SendAsync(alice, "GET /python/alice HTTP/1.1\r\nHost: x\r\n\r\n");
            string cookie = joined.Header("Set-Cookie")!.Split(';')[0];
            string last = System.Text.RegularExpressions.Regex.Match(joined.Body, "data-last=\"([0-9]*)\"").Groups[1].Value;
            Batch first = Batch.Parse((await SendAsync(alice, $"POST /poll/python/alice HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {6 + last.Length}\r\n\r\nafter={last}")).Body);
            long cursor = first.Messages.Length > 0 ? first.Messages[^1].Id : long.Parse(last);

            TimeSpan before = time.Elapsed;
            string poll = $"POST /poll/python/alice HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {6 + cursor.ToString().Length}\r\n\r\nafter={cursor}";
            Assert.Empty(Batch.Parse((await SendAsync(alice, poll)).Body).Messages);
            Assert.Equal(TimeSpan.FromSeconds(10), time.Elapsed - before);
            Assert.Equal(1, app.MemberCount("python"));

            await Gevent.Sleep(75); // alice stops polling
            Assert.Equal(0, app.MemberCount("python"));
            Assert.Equal(0, app.UserCount);
            using RawHttpClient other = await RawHttpClient.ConnectAsync(server.Address);
            RawResponse taken = await SendAsync(other, "GET /python/alice HTTP/1.1\r\nHost: x\r\n\r\n");
            Assert.Equal(200, taken.Status); // the name is free again

            // Her coming and going are in the room's sequence.
            string[] notices = Batch.Parse((await SendAsync(other, $"POST /poll/python/alice HTTP/1.1\r\nHost: x\r\nCookie: {taken.Header("Set-Cookie")!.Split(';')[0]}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 7\r\n\r\nafter=0")).Body).Messages.Select(m => m.Line).ToArray();
            Assert.Equal(["alice join", "alice leave", "alice join"], notices);
            janitor.Kill();
            await server.StopAsync();
        });
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(85));
    }

    [Fact]
    public void Shutdown_TellsPagesToReconnect() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        var app = NewApp();
        (HttpServer server, Uri address) = await ChatServer.StartAsync(app);
        await using HttpServer _ = server;
        using var alice = new ChatClient(address);
        await alice.PageAsync("/python/alice");
        using var ws = new ClientWebSocket();
        ws.Options.Cookies = alice.Jar;
        await ws.ConnectAsync(new Uri($"ws://{server.Address}/ws/python/alice?after={alice.Last}"), default);
        await ReceiveAsync(ws); // hello
        Greenlet<Batch> poll = Gevent.Spawn(() => alice.PollAsync("python", "alice"));
        await ChatServer.ConnectionsOpenAsync(app, "python", "alice", 2); // the WebSocket and the poll
        app.BeginShutdown();
        Assert.Empty((await poll).Messages);
        var buffer = new byte[256];
        WebSocketReceiveResult closed = await ws.ReceiveAsync(buffer, default);
        Assert.Equal(WebSocketMessageType.Close, closed.MessageType);
        Assert.Equal(1012, (int)closed.CloseStatus!);
    });

    [Fact]
    public void SqliteHistory_SurvivesARestart_AndClientsResumeFromTheirId()
    {
        string db = Path.Combine(Path.GetTempPath(), $"geventsharp-chat-{Guid.NewGuid():N}.db");
        try
        {
            long last = 0;
            string epoch = "";
            NetHub.Run(PollerKind.Epoll, async () =>
            {
                using var history = new SqliteChatHistory(db);
                (HttpServer server, Uri address) = await ChatServer.StartAsync(new ChatApp(history));
                await using HttpServer _ = server;
                using var alice = new ChatClient(address);
                await alice.PageAsync("/django/alice");
                await alice.SayAsync("django", "alice", "remember me");
                (last, epoch) = (alice.Last, alice.Epoch);
            });

            NetHub.Run(PollerKind.Epoll, async () =>
            {
                using var history = new SqliteChatHistory(db);
                (HttpServer server, Uri address) = await ChatServer.StartAsync(new ChatApp(history));
                await using HttpServer _ = server;
                using var bob = new ChatClient(address);
                Assert.Contains("remember me", await bob.PageAsync("/django/bob"));
                Assert.Equal(epoch, bob.Epoch);
                Batch resumed = await bob.PollAsync("django", "bob", last); // alice's page, resuming after the restart
                Assert.False(resumed.Reset);
                Assert.Equal(["alice:remember me"], resumed.Said);
                Assert.Equal(["alice:remember me"], (await history.LastAsync("django", 25)).Where(m => m.Kind == "msg").Select(m => m.Line));
            });
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            File.Delete(db);
        }
    }
}
