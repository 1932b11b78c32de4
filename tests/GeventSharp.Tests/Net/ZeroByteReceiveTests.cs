using System.Text;
using GeventSharp.Net;
using Xunit;

namespace GeventSharp.Tests.Net;

/// <summary>
/// A zero-byte receive, or <see cref="GreenSocket.WaitReadableAsync"/>, that has to wait ends as
/// any receive's wait does (on epoll both are the greenlet's own readiness wait, without an
/// operation object): readable, timed out, killed or closed; and another greenlet's receive
/// meanwhile waits its turn.
/// </summary>
public class ZeroByteReceiveTests
{
    /// <summary>Each poller, with each way to wait for data: a zero-byte receive (false) or <see cref="GreenSocket.WaitReadableAsync"/> (true).</summary>
    public static TheoryData<PollerKind, bool> Pollers => new()
    {
        { PollerKind.Epoll, false },
        { PollerKind.Epoll, true },
        { PollerKind.Portable, false },
        { PollerKind.Portable, true },
    };

    /// <summary>Waits until <paramref name="socket"/> is readable, one way or the other; 0 either way.</summary>
    private static async Task<int> WaitAsync(GreenSocket socket, bool waitReadable)
    {
        if (!waitReadable)
        {
            return await socket.ReceiveAsync(Memory<byte>.Empty);
        }

        await socket.WaitReadableAsync();
        return 0;
    }

    [Theory]
    [MemberData(nameof(Pollers))]
    public void AnotherReceive_WhileAZeroByteReceiveWaits_WaitsItsTurn_ThenGetsTheBytes(PollerKind poller, bool waitReadable) => NetHub.Run(poller, async () =>
    {
        var (client, server) = await NetHub.PairAsync();
        using (client)
        using (server)
        {
            var order = new List<string>();
            Greenlet<int> zero = Gevent.Spawn(async () =>
            {
                int n = await WaitAsync(server, waitReadable);
                order.Add("zero");
                return n;
            });
            await Gevent.Sleep(0);
            Greenlet<string> reader = Gevent.Spawn(async () =>
            {
                string text = Encoding.ASCII.GetString(await server.ReceiveAsync(16));
                order.Add("reader");
                return text;
            });
            await Gevent.Sleep(0);
            Assert.False(zero.Ready);
            Assert.False(reader.Ready);

            await client.SendAllAsync("ab"u8.ToArray());
            Assert.Equal(0, await zero);
            Assert.Equal("ab", await reader);
            Assert.Equal(["zero", "reader"], order);
        }
    });

    [Theory]
    [MemberData(nameof(Pollers))]
    public void ZeroByteReceive_TimesOutWithTheSocketsTimeout_AndTheSocketStillReads(PollerKind poller, bool waitReadable) => NetHub.Run(poller, async () =>
    {
        var (client, server) = await NetHub.PairAsync();
        using (client)
        using (server)
        {
            server.Timeout = TimeSpan.FromMilliseconds(20);
            await Assert.ThrowsAsync<SocketTimeoutException>(() => WaitAsync(server, waitReadable));

            server.Timeout = null;
            await client.SendAllAsync("c"u8.ToArray());
            Assert.Equal(0, await WaitAsync(server, waitReadable));
            Assert.Equal("c", Encoding.ASCII.GetString(await server.ReceiveAsync(4)));
        }
    });

    [Theory]
    [MemberData(nameof(Pollers))]
    public void ZeroByteReceive_KilledWhileWaiting_LeavesTheSocketToTheNextReceive(PollerKind poller, bool waitReadable) => NetHub.Run(poller, async () =>
    {
        var (client, server) = await NetHub.PairAsync();
        using (client)
        using (server)
        {
            Greenlet<int> zero = Gevent.Spawn(() => WaitAsync(server, waitReadable));
            await Gevent.Sleep(0);
            Assert.False(zero.Ready);
            await zero.KillAsync();
            Assert.True(zero.Ready);

            Greenlet<int> next = Gevent.Spawn(() => WaitAsync(server, waitReadable));
            await Gevent.Sleep(0);
            Assert.False(next.Ready); // it waits: the killed wait left no one in the way
            await client.SendAllAsync("d"u8.ToArray());
            Assert.Equal(0, await next);
        }
    });

    [Theory]
    [MemberData(nameof(Pollers))]
    public void ZeroByteReceive_FailsWhenTheSocketIsClosed(PollerKind poller, bool waitReadable) => NetHub.Run(poller, async () =>
    {
        var (client, server) = await NetHub.PairAsync();
        using (client)
        {
            Greenlet<Exception?> zero = Gevent.Spawn(async () =>
            {
                try
                {
                    await WaitAsync(server, waitReadable);
                    return null;
                }
                catch (SocketClosedException e)
                {
                    return (Exception?)e;
                }
            });
            await Gevent.Sleep(0);
            Assert.False(zero.Ready);
            server.Close();
            Assert.IsType<SocketClosedException>(await zero);
        }
    });

    [Theory]
    [MemberData(nameof(Pollers))]
    public void AfterAShortRead_WaitsForTheNextBytes_AndWakesAtTheEndOfTheStream(PollerKind poller, bool waitReadable) => NetHub.Run(poller, async () =>
    {
        var (client, server) = await NetHub.PairAsync();
        using (client)
        using (server)
        {
            byte[] buffer = new byte[64];
            await client.SendAllAsync("ab"u8.ToArray());
            Assert.Equal(0, await WaitAsync(server, waitReadable));
            Assert.Equal(2, await server.ReceiveAsync(buffer)); // a short read: the socket is drained

            Greenlet<int> wait = Gevent.Spawn(() => WaitAsync(server, waitReadable));
            await Gevent.Sleep(0);
            Assert.False(wait.Ready); // nothing to read: it waits for the next bytes
            await client.SendAllAsync("cde"u8.ToArray());
            Assert.Equal(0, await wait);
            Assert.Equal("cde", Encoding.ASCII.GetString(buffer, 0, await server.ReceiveAsync(buffer)));

            wait = Gevent.Spawn(() => WaitAsync(server, waitReadable));
            await Gevent.Sleep(0);
            Assert.False(wait.Ready);
            client.Shutdown(System.Net.Sockets.SocketShutdown.Send);
            Assert.Equal(0, await wait); // the end of the stream is readable
            Assert.Equal(0, await server.ReceiveAsync(buffer));
        }
    });
}
