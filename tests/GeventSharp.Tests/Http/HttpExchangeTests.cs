using GeventSharp.Http;
using GeventSharp.Tests.Net;
using Xunit;

namespace GeventSharp.Tests.Http;

/// <summary>
/// A connection holds its exchange (input, response writer, stall guard, the request's state) only
/// while it serves a request; idle connections pass one on to one another. What a handler keeps
/// after it has returned (its response, its request's body) cannot reach the exchange once another
/// connection uses it.
/// </summary>
public class HttpExchangeTests
{
    private static HttpServer StartServer(Func<HttpRequest, HttpResponse, Task> handler) => HttpIdleBufferTests.StartServer(handler);

    private static Task SettleAsync(Func<bool> done) => HttpIdleBufferTests.SettleAsync(done);

    [Theory]
    [InlineData(PollerKind.Epoll)]
    [InlineData(PollerKind.Portable)]
    public void IdleConnections_HoldNoExchange_AndPassOneOnBetweenRequests(PollerKind poller) => NetHub.Run(poller, async () =>
    {
        await using HttpServer server = StartServer((request, response) => response.WriteAsync("hi " + request.Path).AsTask());
        using RawHttpClient a = await RawHttpClient.ConnectAsync(server.Address);
        using RawHttpClient b = await RawHttpClient.ConnectAsync(server.Address);
        await SettleAsync(() => server.ConnectionCount == 2);
        Assert.Equal(0, server.ConnectionsHoldingExchanges); // connected, nothing sent yet

        for (int i = 0; i < 3; i++)
        {
            foreach ((RawHttpClient client, string name) in new[] { (a, "a"), (b, "b") })
            {
                await client.SendAsync($"GET /{name}{i} HTTP/1.1\r\nHost: x\r\n\r\n");
                Assert.Equal($"hi /{name}{i}", (await client.ReadResponseAsync()).Body);
                await SettleAsync(() => server.ConnectionsHoldingExchanges == 0);
                Assert.Equal(0, server.ConnectionsHoldingExchanges);
                Assert.Equal(1, server.Exchanges.Count); // one exchange, passed from connection to connection
            }
        }
    });

    [Fact]
    public void ConnectionThatEnds_GivesItsExchangeBack() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        var started = new Event();
        await using HttpServer server = StartServer(async (request, response) =>
        {
            started.Set();
            byte[] buffer = new byte[16];
            while (await request.Body.ReadAsync(buffer, Greenlet.Current!.CancellationToken) > 0)
            {
            }
        });
        using (RawHttpClient client = await RawHttpClient.ConnectAsync(server.Address))
        {
            await client.SendAsync("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12345");
            await started.WaitAsync();
            Assert.Equal(1, server.ConnectionsHoldingExchanges);
            Assert.Equal(0, server.Exchanges.Count);
        }

        await SettleAsync(() => server.ConnectionCount == 0);
        Assert.Equal(0, server.ConnectionCount);
        Assert.Equal(1, server.Exchanges.Count); // the client left mid-request: the exchange is back, without its buffers
        Assert.Equal(0, server.Spares.Count);
    });

    [Fact]
    public void ResponseKeptAfterItsHandlerReturned_CannotWriteIntoTheResponseOfAnotherConnection() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        HttpResponse? kept = null;
        var bWaits = new Event();
        var bGoes = new Event();
        await using HttpServer server = StartServer(async (request, response) =>
        {
            if (request.Path == "/keep")
            {
                kept = response;
                await response.WriteAsync("first");
                return;
            }

            bWaits.Set();
            await bGoes.WaitAsync();
            await response.WriteAsync("second");
        });

        using RawHttpClient a = await RawHttpClient.ConnectAsync(server.Address);
        await a.SendAsync("GET /keep HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.Equal("first", (await a.ReadResponseAsync()).Body);
        await SettleAsync(() => server.ConnectionsHoldingExchanges == 0);

        using RawHttpClient b = await RawHttpClient.ConnectAsync(server.Address);
        await b.SendAsync("GET /b HTTP/1.1\r\nHost: x\r\n\r\n");
        await bWaits.WaitAsync();
        Assert.Equal(0, server.Exchanges.Count); // b's request took the exchange a's response was written through

        // Everything the kept response could write with is refused while b's response is being made.
        await Assert.ThrowsAsync<InvalidOperationException>(() => kept!.WriteAsync("intruder").AsTask());
        await Assert.ThrowsAsync<InvalidOperationException>(() => kept!.WriteAsync("intruder"u8.ToArray()).AsTask());
        await Assert.ThrowsAsync<InvalidOperationException>(() => kept!.FlushAsync().AsTask());
        await Assert.ThrowsAsync<InvalidOperationException>(() => kept!.Body.WriteAsync("intruder"u8.ToArray()).AsTask());
        await Assert.ThrowsAsync<InvalidOperationException>(() => kept!.AcceptWebSocketAsync().AsTask());
        Assert.Throws<InvalidOperationException>(() => kept!.StatusCode = 500);
        Assert.True(kept!.HasStarted);

        bGoes.Set();
        RawResponse got = await b.ReadResponseAsync();
        Assert.Equal(200, got.Status);
        Assert.Equal("second", got.Body);

        // And a's connection, idle again, serves its next request as usual.
        await a.SendAsync("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
        bGoes.Set();
        Assert.Equal("second", (await a.ReadResponseAsync()).Body);
    });

    [Fact]
    public void BodyKeptAfterItsHandlerReturned_CannotReadTheInputOfAnotherConnection() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        Stream? kept = null;
        var bWaits = new Event();
        var bGoes = new Event();
        await using HttpServer server = StartServer(async (request, response) =>
        {
            if (request.Path == "/keep")
            {
                kept = request.Body; // its body (5 bytes) left unread: the server skips it
                return;
            }

            bWaits.Set();
            await bGoes.WaitAsync();
            using var reader = new StreamReader(request.Body);
            await response.WriteAsync("b read " + await reader.ReadToEndAsync(Greenlet.Current!.CancellationToken));
        });

        using RawHttpClient a = await RawHttpClient.ConnectAsync(server.Address);
        await a.SendAsync("POST /keep HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\naaaaa");
        Assert.Equal(200, (await a.ReadResponseAsync()).Status);
        await SettleAsync(() => server.ConnectionsHoldingExchanges == 0);

        using RawHttpClient b = await RawHttpClient.ConnectAsync(server.Address);
        await b.SendAsync("POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\nbbbbbb");
        await bWaits.WaitAsync();
        Assert.Equal(0, server.Exchanges.Count); // b's request reads from the input a's request was read from

        await Assert.ThrowsAsync<ObjectDisposedException>(() => kept!.ReadAsync(new byte[16]).AsTask());

        bGoes.Set();
        Assert.Equal("b read bbbbbb", (await b.ReadResponseAsync()).Body); // all of b's body, none taken
    });

    [Fact]
    public void KeepAliveRequests_OnConnectionsTakingTurns_AllocateNoMoreThanOnOneConnection()
    {
        // The exchange passed between connections is reused as it is: nothing more per request.
        long one = BytesPerRequest(connections: 1);
        long two = BytesPerRequest(connections: 2);
        Assert.Equal(one, two);
    }

    /// <summary>Bytes the hub thread allocates per keep-alive request (client and server), the connections taking turns; the least of three runs.</summary>
    private static long BytesPerRequest(int connections)
    {
        const int WarmUp = 200, Measured = 500;
        long least = long.MaxValue;
        NetHub.Run(PollerKind.Epoll, async () =>
        {
            await using HttpServer server = StartServer(static (request, response) => response.WriteAsync("ok").AsTask());
            var clients = new List<RawHttpClient>();
            try
            {
                for (int c = 0; c < connections; c++)
                {
                    clients.Add(await RawHttpClient.ConnectAsync(server.Address));
                }

                for (int attempt = 0; attempt < 3; attempt++)
                {
                    long before = 0;
                    for (int i = 0; i < WarmUp + Measured; i++)
                    {
                        if (i == WarmUp)
                        {
                            before = GC.GetAllocatedBytesForCurrentThread();
                        }

                        RawHttpClient client = clients[i % connections];
                        await client.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
                        await client.ReadResponseAsync();
                    }

                    least = Math.Min(least, (GC.GetAllocatedBytesForCurrentThread() - before) / Measured);
                }
            }
            finally
            {
                foreach (RawHttpClient client in clients)
                {
                    client.Dispose();
                }
            }
        });
        return least;
    }
}
