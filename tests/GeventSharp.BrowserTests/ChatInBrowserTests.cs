using System.Net;
using GeventSharp.Http;
using GeventSharp.Samples.Chat;
using Microsoft.Playwright;
using Xunit;

namespace GeventSharp.BrowserTests;

/// <summary>
/// The chat room in Debian's chromium, two users in two browser contexts (separate cookie jars):
/// choosing a name, joining, a message reaching the other user live as text (not HTML), the
/// backlog after a reload. The server runs on a hub; the test itself is a greenlet, its Playwright
/// awaits are foreign awaits that resume on the hub while the hub serves the browser.
/// </summary>
public class ChatInBrowserTests
{
    /// <summary>Debian's chromium (installed by .ci/run); CHROMIUM overrides.</summary>
    private static string Chromium => Environment.GetEnvironmentVariable("CHROMIUM") ?? "/usr/bin/chromium";

    [Fact]
    public void TwoUsers_ChatLive_MessagesAreText_AndTheBacklogSurvivesAReload() => Gevent.Run(async () =>
    {
        Assert.True(File.Exists(Chromium), $"No browser at {Chromium}: install Debian's chromium (apt-get install chromium) or set CHROMIUM.");
        var app = new ChatApp(new MemoryChatHistory());
        var server = new HttpServer(new IPEndPoint(IPAddress.Loopback, 0), app.HandleAsync);
        server.Start();
        string site = $"http://{server.Address}";

        using IPlaywright playwright = await Playwright.CreateAsync();
        await using IBrowser browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox"] });
        await using IBrowserContext aliceContext = await browser.NewContextAsync();
        await using IBrowserContext bobContext = await browser.NewContextAsync();
        IPage alice = await aliceContext.NewPageAsync();
        IPage bob = await bobContext.NewPageAsync();

        // Alice chooses her name and a room, as minichat's pages lead her.
        await alice.GotoAsync(site + "/");
        await alice.FillAsync("#name", "alice");
        await alice.PressAsync("#name", "Enter");
        await alice.WaitForURLAsync(site + "/alice");
        await alice.ClickAsync("text=python");
        await alice.WaitForURLAsync(site + "/python/alice");
        await bob.GotoAsync(site + "/python/bob");
        await Assertions.Expect(bob.Locator("body")).ToHaveAttributeAsync("data-transport", "websocket"); // pushed, not polled

        // A message that would be markup, if the page inserted messages as HTML.
        await alice.FillAsync("#message", "<b>bold?</b> & more");
        await alice.PressAsync("#message", "Enter");
        ILocator bobsLast = bob.Locator("#messages li").Last;
        await Assertions.Expect(bobsLast).ToHaveTextAsync("alice:<b>bold?</b> & more");
        Assert.Equal(0, await bob.Locator("#messages b").CountAsync());

        await bob.FillAsync("#message", "hi alice");
        await bob.PressAsync("#message", "Enter");
        await Assertions.Expect(alice.Locator("#messages li").Last).ToHaveTextAsync("bob:hi alice");

        // A browser without WebSocket falls back to minichat's long poll and still chats.
        await using IBrowserContext oldContext = await browser.NewContextAsync();
        await oldContext.AddInitScriptAsync("delete window.WebSocket;");
        IPage carol = await oldContext.NewPageAsync();
        await carol.GotoAsync(site + "/python/carol");
        await Assertions.Expect(carol.Locator("body")).ToHaveAttributeAsync("data-transport", "poll");
        await alice.FillAsync("#message", "carol, can you read this?");
        await alice.PressAsync("#message", "Enter");
        await Assertions.Expect(carol.Locator("#messages li").Last).ToHaveTextAsync("alice:carol, can you read this?");

        // The backlog, rendered by the server, after a reload.
        await bob.ReloadAsync();
        await Assertions.Expect(bob.Locator("#messages li")).ToHaveTextAsync(["alice:<b>bold?</b> & more", "bob:hi alice", "alice:carol, can you read this?"]);
        Assert.Equal(0, await bob.Locator("#messages b").CountAsync());

        await server.StopAsync(TimeSpan.Zero);
    });
}
