using System.Net.WebSockets;
using GeventSharp.Http;
using GeventSharp.Net;
using GeventSharp.Samples.Chat;
using GeventSharp.Tests.Net;
using Xunit;

namespace GeventSharp.Tests.Samples;

/// <summary>The chat's WebSocket fan-out (the room's shared frame goes only to members at its cursor; the janitor's heartbeat replaces a timer per WebSocket) and the room page's markup.</summary>
public class ChatWebSocketTests
{
    [Fact]
    public void MembersAtDifferentCursors_EachGetExactlyWhatFollowsTheirOwn() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        (HttpServer server, Uri address) = await ChatServer.StartAsync(new ChatApp(new MemoryChatHistory()));
        await using HttpServer _ = server;
        using var alice = new ChatClient(address);
        await alice.PageAsync("/python/alice");
        long start = alice.Last;
        await alice.SayAsync("python", "alice", "a");
        long afterA = (await alice.PollAsync("python", "alice", start)).Messages[^1].Id;
        await alice.SayAsync("python", "alice", "b");

        using ClientWebSocket behind = await OpenAsync(server, alice, start);
        Assert.Equal(["alice:a", "alice:b"], Batch.Parse(await ChatTests.ReceiveAsync(behind)).Said); // this frame becomes the room's (after start, up to b)
        using ClientWebSocket ahead = await OpenAsync(server, alice, afterA);
        Assert.Equal(["alice:b"], Batch.Parse(await ChatTests.ReceiveAsync(ahead)).Said); // not the room's frame: it starts elsewhere

        await alice.SayAsync("python", "alice", "c"); // both up to date now: one frame, the same bytes for both
        string toBehind = await ChatTests.ReceiveAsync(behind);
        Assert.Equal(["alice:c"], Batch.Parse(toBehind).Said);
        Assert.Equal(toBehind, await ChatTests.ReceiveAsync(ahead));
    });

    [Fact]
    public void TheJanitorsHeartbeat_SendsAPingToAnIdleWebSocket_AndMessagesStillFollow() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        var app = new ChatApp(new MemoryChatHistory(), new ChatOptions { JanitorInterval = TimeSpan.FromSeconds(0.05), HeartbeatInterval = TimeSpan.FromSeconds(0.1) });
        (HttpServer server, Uri address) = await ChatServer.StartAsync(app);
        await using HttpServer _ = server;
        Greenlet janitor = app.StartJanitor();
        using var alice = new ChatClient(address);
        await alice.PageAsync("/python/alice");
        using ClientWebSocket ws = await OpenAsync(server, alice, alice.Last);
        Assert.Equal("ping", Batch.Parse(await ChatTests.ReceiveAsync(ws)).Type); // nothing was said: the next frame is the heartbeat's

        await alice.SayAsync("python", "alice", "after a ping");
        Batch next;
        do
        {
            next = Batch.Parse(await ChatTests.ReceiveAsync(ws));
        }
        while (next.Type == "ping");

        Assert.Equal(["alice:after a ping"], next.Said);
        janitor.Kill();
    });

    [Fact]
    public void TheRoomPage_HasTimestamps_ALabelledInput_AndALiveLog() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        (HttpServer server, Uri address) = await ChatServer.StartAsync(new ChatApp(new MemoryChatHistory()));
        await using HttpServer _ = server;
        using var alice = new ChatClient(address);
        await alice.PageAsync("/python/alice");
        await alice.SayAsync("python", "alice", "a line with a time");
        string page = await alice.PageAsync("/python/alice");
        Assert.Matches("<time datetime=\"[0-9T:.Z-]+\">[^<]+</time>", page); // when it was said, shown in local time by the script
        Assert.Contains("role=\"log\" aria-live=\"polite\"", page); // new messages are announced
        Assert.Contains("<label for=\"message\"", page);
        Assert.Contains("<li class=\"msg own\"", page); // her own message, styled apart
        Assert.Contains("href=\"/alice\"", page); // the way to the other rooms
    });

    /// <summary>A WebSocket of <paramref name="client"/>'s session from <paramref name="after"/>, its hello frame read.</summary>
    private static async Task<ClientWebSocket> OpenAsync(HttpServer server, ChatClient client, long after)
    {
        var ws = new ClientWebSocket();
        ws.Options.Cookies = client.Jar;
        await ws.ConnectAsync(new Uri($"ws://{server.Address}/ws/python/alice?after={after}&epoch={client.Epoch}"), default);
        Assert.Equal("hello", Batch.Parse(await ChatTests.ReceiveAsync(ws)).Type);
        return ws;
    }
}
