using Xunit;
using System.Net.Sockets;
using GeventSharp.Net;

namespace GeventSharp.Tests.Net;

/// <summary>
/// Green sockets on the epoll poller: readiness wakes the right waiters, in bounded batches,
/// without starving timers or posted work, and the hub counts socket waiters as live I/O.
/// </summary>
public class SocketReadinessTests
{
    [Fact]
    public void ManyReadySockets_AreTakenInBoundedBatches() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        const int N = 600;
        var pairs = new List<(GreenSocket Client, GreenSocket Server)>();
        using GreenSocket listener = GreenSocket.Listen(NetHub.Loopback0, backlog: N);
        for (int i = 0; i < N; i++)
        {
            var c = GreenSocket.CreateTcp();
            Greenlet<GreenSocket> accept = Gevent.Spawn(() => listener.AcceptAsync().AsTask());
            await c.ConnectAsync(listener.LocalEndPoint!);
            pairs.Add((c, await accept));
        }

        try
        {
            var readers = pairs.Select(p => Gevent.Spawn(() => p.Server.ReceiveAsync(new byte[8]).AsTask())).ToList();
            await Gevent.Sleep(0); // every reader is now waiting for readiness
            var poller = (EpollPoller)Hub.Current!.Poller;
            Assert.Equal(N, poller.ActiveWaiters);
            foreach (var p in pairs)
            {
                await p.Client.SendAllAsync(new byte[] { 1 });
            }

            await Gevent.RunBlockingAsync(() => Thread.Sleep(50)); // real-time: let loopback deliver while the hub keeps polling
            // The hub took at most MaxEvents per turn; by now all are woken, in several batches.
            await Gevent.JoinAllAsync(readers, raiseError: true);
            Assert.All(readers, r => Assert.Equal(1, r.Value));
            Assert.Equal(0, poller.ActiveWaiters);
        }
        finally
        {
            pairs.ForEach(p => { p.Client.Close(); p.Server.Close(); });
        }
    });

    [Fact]
    public void OneWait_TakesAtMostMaxEvents() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        const int N = EpollPoller.MaxEvents + 100;
        var sockets = new List<GreenSocket>();
        try
        {
            var readers = new List<Greenlet>();
            for (int i = 0; i < N; i++)
            {
                var a = GreenSocket.BindUdp(NetHub.Loopback0);
                sockets.Add(a);
                readers.Add(Gevent.Spawn(() => a.ReceiveFromAsync(new byte[8]).AsTask()));
            }

            await Gevent.Sleep(0);
            var poller = (EpollPoller)Hub.Current!.Poller;
            Assert.Equal(N, poller.ActiveWaiters);
            using GreenSocket sender = GreenSocket.CreateUdp();
            foreach (var s in sockets)
            {
                await sender.SendToAsync(new byte[] { 7 }, s.LocalEndPoint!);
            }

            poller.Wait(0); // one poll: wakes at most MaxEvents waiters (loopback UDP is delivered synchronously)
            Assert.Equal(N - EpollPoller.MaxEvents, poller.ActiveWaiters);
            await Gevent.JoinAllAsync(readers, raiseError: true);
        }
        finally
        {
            sockets.ForEach(s => s.Close());
        }
    });

    [Fact]
    public void BusySocketTraffic_DoesNotStarveTimersOrPostedWork() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        var (client, server) = await NetHub.PairAsync();
        using (client)
        using (server)
        {
            bool stop = false;
            long echoes = 0;
            Greenlet pinger = Gevent.Spawn(async Task () =>
            {
                byte[] b = new byte[1];
                while (!stop && echoes < 5_000_000)
                {
                    await client.SendAllAsync(b);
                    await client.ReceiveAsync(b);
                }
            });
            Greenlet ponger = Gevent.Spawn(async Task () =>
            {
                byte[] b = new byte[1];
                while (await server.ReceiveAsync(b) > 0)
                {
                    echoes++;
                    await server.SendAllAsync(b);
                }
            });

            // Timers fire and work posted from another thread runs while the two sockets are always busy.
            Hub hub = Hub.Current!;
            int posted = 0;
            var poster = new Thread(() =>
            {
                for (int i = 0; i < 5; i++)
                {
                    hub.Post(() => posted++);
                }
            });
            using (hub.KeepAlive())
            {
                poster.Start();
                for (int i = 0; i < 5; i++)
                {
                    await Gevent.Sleep(0.01);
                }

                #pragma warning disable GS0001 // the poster thread ends after its five posts: joining it only reaps it
                poster.Join();
                #pragma warning restore GS0001
                while (posted < 5)
                {
                    await Gevent.Sleep(0.001);
                }
            }

            stop = true;
            client.Shutdown(SocketShutdown.Send);
            await pinger.JoinAsync();
            await ponger.JoinAsync();
            Assert.Equal(5, posted);
            Assert.True(echoes > 0);
        }
    });

    [Fact]
    public void PostFromAnotherThread_WakesAHubSleepingInEpoll() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        var (client, server) = await NetHub.PairAsync();
        using (client)
        using (server)
        {
            Hub hub = Hub.Current!;
            Greenlet<int> reader = Gevent.Spawn(() => server.ReceiveAsync(new byte[4]).AsTask()); // keeps the hub in epoll_wait(-1)
            var t = new Thread(() =>
            {
                Thread.Sleep(20); // real-time: post while the hub is asleep in epoll_wait
                hub.Post(() => Gevent.Spawn(async Task () => await client.SendAllAsync(new byte[] { 1, 2 })));
            });
            t.Start();
            Assert.Equal(2, await reader);
            #pragma warning disable GS0001 // the poster thread has posted (the read completed): joining it only reaps it
            t.Join();
            #pragma warning restore GS0001
        }
    });

    [Fact]
    public void AWaiterThatTimedOut_HandsItsCountToTheNextWaiter() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        using GreenSocket a = GreenSocket.BindUdp(NetHub.Loopback0);
        var poller = (EpollPoller)Hub.Current!.Poller;
        a.Timeout = TimeSpan.FromMilliseconds(1);
        await Assert.ThrowsAsync<SocketTimeoutException>(async () => await a.ReceiveFromAsync(new byte[8]));
        Assert.Equal(0, poller.ActiveWaiters);

        a.Timeout = null;
        Greenlet<SocketReceiveFromResult> reader = Gevent.Spawn(() => a.ReceiveFromAsync(new byte[8]).AsTask());
        await Gevent.Sleep(0);
        Assert.Equal(1, poller.ActiveWaiters); // the hub keeps polling for it
        using GreenSocket sender = GreenSocket.CreateUdp();
        await sender.SendToAsync(new byte[] { 3 }, a.LocalEndPoint!);
        Assert.Equal(1, (await reader).ReceivedBytes);
        Assert.Equal(0, poller.ActiveWaiters);
    });

    [Fact]
    public void Close_FailsTheWaitingReader_AndUnregisters() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        var poller = (EpollPoller)Hub.Current!.Poller;
        int before = poller.Registrations;
        var (client, server) = await NetHub.PairAsync();
        using (client)
        {
            Assert.Equal(before + 2, poller.Registrations);
            Greenlet<string> reader = Gevent.Spawn(async () =>
            {
                try
                {
                    return $"received {await server.ReceiveAsync(new byte[8])}";
                }
                catch (SocketClosedException)
                {
                    return "closed";
                }
            });
            await Gevent.Sleep(0);
            Assert.Equal(1, poller.ActiveWaiters);
            server.Close();
            Assert.Equal("closed", await reader);
            Assert.Equal(0, poller.ActiveWaiters);
            Assert.Equal(before + 1, poller.Registrations);
        }
    });
}
