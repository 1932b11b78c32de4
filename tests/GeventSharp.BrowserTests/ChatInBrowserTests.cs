using System.Collections.Concurrent;
using System.Net;
using System.Net.Http;
using GeventSharp.Http;
using GeventSharp.Samples.Chat;
using Microsoft.Playwright;
using Xunit;

namespace GeventSharp.BrowserTests;

/// <summary>
/// The chat room in Debian's chromium, users in separate browser contexts (separate cookie jars).
/// The server runs on a hub; the test itself is a greenlet, its Playwright awaits are foreign
/// awaits that resume on the hub while the hub serves the browser.
/// </summary>
public class ChatInBrowserTests
{
    /// <summary>Debian's chromium (installed by .ci/run); CHROMIUM overrides.</summary>
    private static string Chromium => Environment.GetEnvironmentVariable("CHROMIUM") ?? "/usr/bin/chromium";

    private static readonly ChatOptions Options = new() { PutBurst = 1000, AddressPutBurst = 1000 };

    static ChatInBrowserTests()
    {
        // Playwright's expectations give up after 5 s by default, and a loaded machine (a CI runner,
        // the other test assemblies running beside this one) can take longer to start a renderer or
        // show a push. The bound is only there to end a real hang: every expectation must still come true.
        Assertions.SetDefaultExpectTimeout((float)PatientMilliseconds);
    }

    /// <summary>How long an expectation, a reconnection or chromium's start may take before the test gives up.</summary>
    private const int PatientMilliseconds = 60_000;

    /// <summary>A history a test can look into after the browser is done (xUnit makes an instance per test).</summary>
    private readonly MemoryChatHistory _history = new();

    private static async Task<IBrowser> LaunchAsync(IPlaywright playwright)
    {
        Assert.True(File.Exists(Chromium), $"No browser at {Chromium}: install Debian's chromium (apt-get install chromium) or set CHROMIUM.");
        return await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox"], Timeout = PatientMilliseconds });
    }

    /// <summary>
    /// A browser context (a separate cookie jar) whose actions and navigations are as patient as the
    /// expectations. Tests wait for a page by what it shows or by its URL (<c>Expect(page).ToHaveURLAsync</c>),
    /// not with <c>WaitForURLAsync</c>: called once the URL already matches, that one waits for a
    /// "load" event as the .NET client records them, and on a loaded CI runner it waited out its 30 s
    /// on a page whose "networkidle" (which comes after "load") had already fired.
    /// </summary>
    private static async Task<IBrowserContext> NewContextAsync(IBrowser browser)
    {
        IBrowserContext context = await browser.NewContextAsync();
        context.SetDefaultTimeout(PatientMilliseconds);
        context.SetDefaultNavigationTimeout(PatientMilliseconds);
        return context;
    }

    private static HttpServer Serve(ChatApp app, int port = 0)
    {
        var server = new HttpServer(new IPEndPoint(IPAddress.Loopback, port), app.HandleAsync);
        server.Start();
        return server;
    }

    /// <summary>Serves <paramref name="app"/> on a loopback port and runs <paramref name="test"/> with the site's address and a chromium.</summary>
    private static void InBrowser(ChatApp app, Func<string, IBrowser, Task> test) => Gevent.Run(async () =>
    {
        HttpServer server = Serve(app);
        try
        {
            using IPlaywright playwright = await Playwright.CreateAsync();
            await using IBrowser browser = await LaunchAsync(playwright);
            await test($"http://{server.Address}", browser);
        }
        finally
        {
            await server.StopAsync(TimeSpan.Zero);
        }
    });

    /// <summary>Every console message and page error that says a policy refused something, or that a script failed.</summary>
    private static ConcurrentBag<string> WatchForViolations(IPage page)
    {
        var violations = new ConcurrentBag<string>();
        page.Console += (_, m) =>
        {
            if (m.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase) || m.Text.Contains("Refused to", StringComparison.Ordinal))
            {
                violations.Add(m.Text);
            }
        };
        page.PageError += (_, e) => violations.Add("page error: " + e);
        page.Dialog += (_, d) => violations.Add("dialog: " + d.Message); // an alert() would mean a script ran
        return violations;
    }

    private static ILocator Said(IPage page) => page.Locator("#messages li.msg .text");

    private static async Task SendAsync(IPage page, string text)
    {
        await page.FillAsync("#message", text);
        await page.PressAsync("#message", "Enter");
        await Assertions.Expect(page.Locator("#message")).ToHaveValueAsync("");
    }

    [Fact]
    public void TwoUsers_ChatLive_XssAttemptsRenderAsText_WithNoPolicyViolation() => InBrowser(new ChatApp(new MemoryChatHistory(), Options), async (site, browser) =>
    {
        await using IBrowserContext aliceContext = await NewContextAsync(browser);
        await using IBrowserContext bobContext = await NewContextAsync(browser);
        IPage alice = await aliceContext.NewPageAsync();
        IPage bob = await bobContext.NewPageAsync();
        ConcurrentBag<string> aliceViolations = WatchForViolations(alice), bobViolations = WatchForViolations(bob);

        // Alice chooses her name and a room, as minichat's pages lead her.
        await alice.GotoAsync(site + "/");
        await alice.FillAsync("#name", "alice");
        await alice.PressAsync("#name", "Enter");
        await Assertions.Expect(alice).ToHaveURLAsync(site + "/alice"); // not WaitForURLAsync: see NewContextAsync
        await alice.ClickAsync("text=python");
        await Assertions.Expect(alice).ToHaveURLAsync(site + "/python/alice");
        await bob.GotoAsync(site + "/python/bob");
        await Assertions.Expect(bob.Locator("body")).ToHaveAttributeAsync("data-transport", "websocket"); // pushed, not polled
        await Assertions.Expect(alice.Locator("#online li")).ToHaveTextAsync(["alice", "bob"]);

        string[] payloads =
        [
            "<b>bold?</b> & more",
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(2)>",
            "\"><svg onload=alert(3)>",
            "<iframe src=javascript:alert(4)>",
            "javascript:alert(5)",
            "{{constructor.constructor('alert(6)')()}}",
            "</li><li onclick=alert(7)>x",
        ];
        foreach (string p in payloads)
        {
            await SendAsync(alice, p);
        }

        await Assertions.Expect(Said(bob)).ToHaveTextAsync(payloads);
        await Assertions.Expect(bob.Locator("#messages li.msg.own")).ToHaveCountAsync(0);
        await Assertions.Expect(alice.Locator("#messages li.msg.own")).ToHaveCountAsync(payloads.Length); // her own, styled apart
        Assert.Equal(0, await bob.Locator("#messages b:not(.who), #messages img, #messages svg, #messages script, #messages iframe").CountAsync());

        await SendAsync(bob, "hi alice");
        await Assertions.Expect(Said(alice).Last).ToHaveTextAsync("hi alice");

        // The backlog, rendered by the server, after a reload: text too.
        await bob.ReloadAsync();
        await Assertions.Expect(Said(bob)).ToHaveTextAsync([.. payloads, "hi alice"]);
        Assert.Equal(0, await bob.Locator("#messages b:not(.who), #messages img, #messages svg, #messages script, #messages iframe").CountAsync());
        Assert.Empty(aliceViolations);
        Assert.Empty(bobViolations);

    });

    [Fact]
    public void TwoTabsOfOneUser_BothReceiveEveryMessage() => InBrowser(new ChatApp(new MemoryChatHistory(), Options), async (site, browser) =>
    {
        await using IBrowserContext aliceContext = await NewContextAsync(browser);
        await using IBrowserContext bobContext = await NewContextAsync(browser);
        IPage tab1 = await aliceContext.NewPageAsync();
        IPage tab2 = await aliceContext.NewPageAsync();
        IPage bob = await bobContext.NewPageAsync();
        await tab1.GotoAsync(site + "/python/alice");
        await tab2.GotoAsync(site + "/python/alice");
        await bob.GotoAsync(site + "/python/bob");
        foreach (IPage p in new[] { tab1, tab2, bob })
        {
            await Assertions.Expect(p.Locator("body")).ToHaveAttributeAsync("data-connected", "yes");
        }

        string[] sent = Enumerable.Range(1, 20).Select(i => $"message {i}").ToArray();
        foreach (string m in sent)
        {
            await SendAsync(bob, m);
        }

        await SendAsync(tab2, "from tab 2");
        await Assertions.Expect(Said(tab1)).ToHaveTextAsync([.. sent, "from tab 2"]);
        await Assertions.Expect(Said(tab2)).ToHaveTextAsync([.. sent, "from tab 2"]);
        await Assertions.Expect(Said(bob)).ToHaveTextAsync([.. sent, "from tab 2"]);
    });

    [Fact]
    public void AServerRestartMidConversation_ThePageReconnects_AndMissesNothing() => Gevent.Run(async () =>
    {
        string db = Path.Combine(Path.GetTempPath(), $"geventsharp-chat-browser-{Guid.NewGuid():N}.db");
        try
        {
            var history1 = new SqliteChatHistory(db);
            var app1 = new ChatApp(history1, Options);
            HttpServer server = Serve(app1);
            int port = server.Address.Port;
            string site = $"http://{server.Address}";
            using IPlaywright playwright = await Playwright.CreateAsync();
            await using IBrowser browser = await LaunchAsync(playwright);
            await using IBrowserContext aliceContext = await NewContextAsync(browser);
            await using IBrowserContext bobContext = await NewContextAsync(browser);
            IPage alice = await aliceContext.NewPageAsync();
            IPage bob = await bobContext.NewPageAsync();
            await alice.GotoAsync(site + "/python/alice");
            await bob.GotoAsync(site + "/python/bob");
            await Assertions.Expect(bob.Locator("body")).ToHaveAttributeAsync("data-connected", "yes");
            await SendAsync(alice, "before the restart");
            await Assertions.Expect(Said(bob)).ToHaveTextAsync(["before the restart"]);

            // Graceful stop: the pages are told to reconnect, and keep trying while nobody listens.
            app1.BeginShutdown();
            await server.StopAsync(TimeSpan.FromSeconds(1));
            app1.StopBackground();
            history1.Dispose();
            await Assertions.Expect(alice.Locator("body")).ToHaveAttributeAsync("data-connected", "no");
            await Assertions.Expect(alice.Locator("#status")).ToHaveTextAsync("reconnecting…");

            using var history2 = new SqliteChatHistory(db);
            var app2 = new ChatApp(history2, Options);
            HttpServer server2 = Serve(app2, port);
            await Assertions.Expect(bob.Locator("body")).ToHaveAttributeAsync("data-connected", "yes", new() { Timeout = PatientMilliseconds });
            string[] during = ["after 1", "after 2", "after 3"];
            foreach (string m in during)
            {
                await SendAsync(bob, m); // possibly before alice's page is back
            }

            await Assertions.Expect(alice.Locator("body")).ToHaveAttributeAsync("data-connected", "yes", new() { Timeout = PatientMilliseconds });
            await Assertions.Expect(Said(alice)).ToHaveTextAsync(["before the restart", .. during], new() { Timeout = PatientMilliseconds });
            await SendAsync(alice, "still here");
            await Assertions.Expect(Said(bob)).ToHaveTextAsync(["before the restart", .. during, "still here"]);
            await server2.StopAsync(TimeSpan.Zero);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            foreach (string f in new[] { db, db + "-wal", db + "-shm" })
            {
                File.Delete(f);
            }
        }
    });

    [Fact]
    public void APageOfAnotherOrigin_IsRefused() => InBrowser(new ChatApp(_history, Options), async (site, browser) =>
    {
        await using IBrowserContext aliceContext = await NewContextAsync(browser);
        IPage alice = await aliceContext.NewPageAsync();
        await alice.GotoAsync(site + "/python/alice");
        await Assertions.Expect(alice.Locator("body")).ToHaveAttributeAsync("data-connected", "yes");

        // A page on another port of the same host (same site: alice's SameSite=Strict cookie goes along), in alice's browser.
        string evil = "http://127.0.0.1:1";
        await aliceContext.RouteAsync(evil + "/**", route => route.FulfillAsync(new() { ContentType = "text/html", Body = $$"""
            <!doctype html><title>evil</title><body><script>
            (async () => {
              const out = {};
              try {
                const r = await fetch("{{site}}/put/python/alice", { method: "POST", credentials: "include", mode: "no-cors", body: new URLSearchParams({ message: "pwned" }) });
                out.put = "sent";
              } catch (e) { out.put = "error"; }
              out.ws = await new Promise(done => {
                const ws = new WebSocket("{{site.Replace("http", "ws")}}/ws/python/alice");
                ws.onopen = () => done("open");
                ws.onclose = () => done("refused");
              });
              document.body.dataset.result = JSON.stringify(out);
            })();
            </script></body>
            """ }));
        IPage attacker = await aliceContext.NewPageAsync();
        await attacker.GotoAsync(evil + "/");
        await Assertions.Expect(attacker.Locator("body")).ToHaveAttributeAsync("data-result", new System.Text.RegularExpressions.Regex("ws"));
        Assert.Contains("\"ws\":\"refused\"", await attacker.Locator("body").GetAttributeAsync("data-result"));

        // The chat cannot be framed either.
        using var http = new HttpClient();
        using HttpResponseMessage page = await http.GetAsync(site + "/python/zed");
        Assert.Contains("frame-ancestors 'none'", string.Join(";", page.Headers.GetValues("Content-Security-Policy")));

        await SendAsync(alice, "only me");
        await Assertions.Expect(Said(alice)).ToHaveTextAsync(["only me"]);
        Assert.DoesNotContain((await _history.LastAsync("python", 100)).Select(m => m.Text), t => t == "pwned");
    });

    [Fact]
    public void TheLongPollFallback_LosesNothingAcrossAReload() => InBrowser(new ChatApp(new MemoryChatHistory(), Options), async (site, browser) =>
    {
        await using IBrowserContext aliceContext = await NewContextAsync(browser);
        await using IBrowserContext oldContext = await NewContextAsync(browser);
        await oldContext.AddInitScriptAsync("delete window.WebSocket;");
        IPage alice = await aliceContext.NewPageAsync();
        IPage carol = await oldContext.NewPageAsync();
        await alice.GotoAsync(site + "/python/alice");
        await carol.GotoAsync(site + "/python/carol");
        await Assertions.Expect(carol.Locator("body")).ToHaveAttributeAsync("data-transport", "poll");
        await SendAsync(alice, "m1");
        await Assertions.Expect(Said(carol)).ToHaveTextAsync(["m1"]);

        // Carol reloads while her poll is waiting; messages arrive meanwhile and after.
        Task reload = carol.ReloadAsync();
        await SendAsync(alice, "m2");
        await reload;
        await SendAsync(alice, "m3");
        await Assertions.Expect(Said(carol)).ToHaveTextAsync(["m1", "m2", "m3"]);
        await Assertions.Expect(carol.Locator("body")).ToHaveAttributeAsync("data-transport", "poll");
        await SendAsync(carol, "heard all three");
        await Assertions.Expect(Said(alice)).ToHaveTextAsync(["m1", "m2", "m3", "heard all three"]);
    });
}
