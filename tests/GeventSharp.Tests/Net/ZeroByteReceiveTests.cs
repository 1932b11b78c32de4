using System.Text;
using GeventSharp.Net;
using Xunit;

namespace GeventSharp.Tests.Net;

/// <summary>
/// A zero-byte receive that has to wait ends as any receive's wait does (on epoll it is the
/// greenlet's own readiness wait, without an operation object): readable, timed out, killed or
/// closed; and another greenlet's receive meanwhile waits its turn.
/// </summary>
public class ZeroByteReceiveTests
{
    public static TheoryData<PollerKind> Pollers => NetHub.Pollers;

    [Theory]
    [MemberData(nameof(Pollers))]
    public void AnotherReceive_WhileAZeroByteReceiveWaits_WaitsItsTurn_ThenGetsTheBytes(PollerKind poller) => NetHub.Run(poller, async () =>
    {
        var (client, server) = await NetHub.PairAsync();
        using (client)
        using (server)
        {
            var order = new List<string>();
            Greenlet<int> zero = Gevent.Spawn(async () =>
            {
                int n = await server.ReceiveAsync(Memory<byte>.Empty);
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
    public void ZeroByteReceive_TimesOutWithTheSocketsTimeout_AndTheSocketStillReads(PollerKind poller) => NetHub.Run(poller, async () =>
    {
        var (client, server) = await NetHub.PairAsync();
        using (client)
        using (server)
        {
            server.Timeout = TimeSpan.FromMilliseconds(20);
            await Assert.ThrowsAsync<SocketTimeoutException>(() => server.ReceiveAsync(Memory<byte>.Empty).AsTask());

            server.Timeout = null;
            await client.SendAllAsync("c"u8.ToArray());
            Assert.Equal(0, await server.ReceiveAsync(Memory<byte>.Empty));
            Assert.Equal("c", Encoding.ASCII.GetString(await server.ReceiveAsync(4)));
        }
    });

    [Theory]
    [MemberData(nameof(Pollers))]
    public void ZeroByteReceive_KilledWhileWaiting_LeavesTheSocketToTheNextReceive(PollerKind poller) => NetHub.Run(poller, async () =>
    {
        var (client, server) = await NetHub.PairAsync();
        using (client)
        using (server)
        {
            Greenlet<int> zero = Gevent.Spawn(() => server.ReceiveAsync(Memory<byte>.Empty).AsTask());
            await Gevent.Sleep(0);
            Assert.False(zero.Ready);
            await zero.KillAsync();
            Assert.True(zero.Ready);

            Greenlet<int> next = Gevent.Spawn(() => server.ReceiveAsync(Memory<byte>.Empty).AsTask());
            await Gevent.Sleep(0);
            Assert.False(next.Ready); // it waits: the killed wait left no one in the way
            await client.SendAllAsync("d"u8.ToArray());
            Assert.Equal(0, await next);
        }
    });

    [Theory]
    [MemberData(nameof(Pollers))]
    public void ZeroByteReceive_FailsWhenTheSocketIsClosed(PollerKind poller) => NetHub.Run(poller, async () =>
    {
        var (client, server) = await NetHub.PairAsync();
        using (client)
        {
            Greenlet<Exception?> zero = Gevent.Spawn(async () =>
            {
                try
                {
                    await server.ReceiveAsync(Memory<byte>.Empty);
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
}
