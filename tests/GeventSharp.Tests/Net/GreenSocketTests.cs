using Xunit;
using System.Net;
using System.Net.Sockets;
using System.Text;
using GeventSharp.Net;

namespace GeventSharp.Tests.Net;

public class GreenSocketTests
{
    public static TheoryData<PollerKind> Pollers => NetHub.Pollers;

    [Theory]
    [MemberData(nameof(Pollers))]
    public void SendAndReceive_RoundTrip_IPv4(PollerKind poller) => NetHub.Run(poller, async () =>
    {
        var (client, server) = await NetHub.PairAsync();
        using (client)
        using (server)
        {
            await client.SendAllAsync("hello"u8.ToArray());
            Assert.Equal("hello", Encoding.ASCII.GetString(await NetHub.ReceiveExactlyAsync(server, 5)));
            await server.SendAllAsync("world"u8.ToArray());
            Assert.Equal("world", Encoding.ASCII.GetString(await NetHub.ReceiveExactlyAsync(client, 5)));
            Assert.Equal(client.LocalEndPoint, server.RemoteEndPoint);
            Assert.Equal(server.LocalEndPoint, client.RemoteEndPoint);
        }
    });

    [Theory]
    [MemberData(nameof(Pollers))]
    public void SendAndReceive_RoundTrip_IPv6(PollerKind poller) => NetHub.Run(poller, async () =>
    {
        var (client, server) = await NetHub.PairAsync(ipv6: true);
        using (client)
        using (server)
        {
            Assert.Equal(AddressFamily.InterNetworkV6, client.AddressFamily);
            await client.SendAllAsync("v6"u8.ToArray());
            Assert.Equal("v6", Encoding.ASCII.GetString(await server.ReceiveAsync(16)));
        }
    });

    [Theory]
    [MemberData(nameof(Pollers))]
    public void Receive_AfterPeerCloses_ReturnsZero(PollerKind poller) => NetHub.Run(poller, async () =>
    {
        var (client, server) = await NetHub.PairAsync();
        using (server)
        {
            Greenlet<int> reader = Gevent.Spawn(() => server.ReceiveAsync(new byte[10]).AsTask());
            await Gevent.Sleep(0);
            client.Close();
            Assert.Equal(0, await reader);
        }
    });

    [Theory]
    [MemberData(nameof(Pollers))]
    public void Tcp_HasNoDelayOnByDefault(PollerKind poller) => NetHub.Run(poller, async () =>
    {
        var (client, server) = await NetHub.PairAsync();
        using (client)
        using (server)
        {
            Assert.True(client.NoDelay);
            Assert.True(server.NoDelay);
        }
    });

    [Theory]
    [MemberData(nameof(Pollers))]
    public void Receive_WithTimeout_ThrowsSocketTimeout_AndSocketStaysUsable(PollerKind poller)
    {
        TimeSpan waited = TimeSpan.Zero;
        var clock = NetHub.RunVirtual(poller, async () =>
        {
            var (client, server) = await NetHub.PairAsync();
            using (client)
            using (server)
            {
                server.Timeout = TimeSpan.FromSeconds(2);
                var e = await Assert.ThrowsAsync<SocketTimeoutException>(async () => await server.ReceiveAsync(new byte[10]));
                Assert.Equal(SocketError.TimedOut, e.SocketErrorCode);
                Assert.Equal("timed out", e.Message);
                server.Timeout = null; // the virtual clock would jump past real I/O in flight
                await client.SendAllAsync("x"u8.ToArray());
                Assert.Equal("x", Encoding.ASCII.GetString(await server.ReceiveAsync(10)));
            }
        });
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(2), $"virtual time {clock.Elapsed}");
        Assert.Equal(TimeSpan.Zero, waited);
    }

    [Theory]
    [MemberData(nameof(Pollers))]
    public void Close_WhileAnotherGreenletReceives_WakesItWithSocketClosed(PollerKind poller) => NetHub.Run(poller, async () =>
    {
        var (client, server) = await NetHub.PairAsync();
        using (client)
        {
            Greenlet<int> reader = Gevent.Spawn(() => server.ReceiveAsync(new byte[10]).AsTask());
            await Gevent.Sleep(0.01);
            server.Close();
            await reader.JoinAsync(TimeSpan.FromSeconds(5));
            Assert.True(reader.Ready);
            Assert.IsType<SocketClosedException>(reader.Exception);
            Assert.Throws<ObjectDisposedException>(() => server.ReceiveAsync(new byte[1]));
        }
    }, onError: (g, e) => Assert.IsType<SocketClosedException>(e));

    [Theory]
    [MemberData(nameof(Pollers))]
    public void Kill_DuringReceive_LeavesSocketUsable(PollerKind poller) => NetHub.Run(poller, async () =>
    {
        var (client, server) = await NetHub.PairAsync();
        using (client)
        using (server)
        {
            Greenlet<int> reader = Gevent.Spawn(() => server.ReceiveAsync(new byte[10]).AsTask());
            await Gevent.Sleep(0.01);
            await reader.KillAsync();
            Assert.True(reader.Ready);
            Assert.Null(reader.Exception);
            await client.SendAllAsync("after"u8.ToArray());
            Assert.Equal("after", Encoding.ASCII.GetString(await NetHub.ReceiveExactlyAsync(server, 5)));
        }
    });

    [Theory]
    [MemberData(nameof(Pollers))]
    public void Kill_OfACatchAllReceiveLoop_EndsIt(PollerKind poller) => NetHub.Run(poller, async () =>
    {
        var (client, server) = await NetHub.PairAsync();
        using (client)
        using (server)
        {
            int swallowed = 0;
            Greenlet reader = Gevent.Spawn(async () =>
            {
                while (true)
                {
                    try
                    {
                        await server.ReceiveAsync(new byte[10]);
                    }
                    #pragma warning disable GS0004 // the mistake under test: a literal port of gevent's `except Exception:` loop
                    catch (Exception)
                    {
                        swallowed++; // a literal port of `except Exception:` swallows the kill too
                    }
                    #pragma warning restore GS0004
                }
            });
            await Gevent.Sleep(0.01);
            Assert.True(await reader.KillAsync(null, 5));
            Assert.IsType<GreenletExit>(reader.Value);
            Assert.InRange(swallowed, 1, 2);
        }
    });

    [Fact]
    public void TwoGreenlets_ReceivingAtOnce_AreServedInTurn() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        var (client, server) = await NetHub.PairAsync();
        using (client)
        using (server)
        {
            byte[] a = new byte[10], b = new byte[10];
            Greenlet<int> first = Gevent.Spawn(() => server.ReceiveAsync(a).AsTask());
            await Gevent.Sleep(0);
            Greenlet<int> second = Gevent.Spawn(() => server.ReceiveAsync(b).AsTask());
            await Gevent.Sleep(0);
            await client.SendAllAsync("1"u8.ToArray());
            Assert.Equal(1, await first);
            Assert.False(second.Ready);
            await client.SendAllAsync("2"u8.ToArray());
            Assert.Equal(1, await second);
            Assert.Equal((byte)'1', a[0]);
            Assert.Equal((byte)'2', b[0]);
        }
    });

    [Theory]
    [InlineData(PollerKind.Epoll)]
    [InlineData(PollerKind.Portable)]
    public void TwoGreenlets_SendingAllAtOnce_BothArriveWhole(PollerKind poller) => NetHub.Run(poller, async () =>
    {
        var (client, server) = await NetHub.PairAsync();
        using (client)
        using (server)
        {
            const int Size = 1 << 20; // far more than the socket buffers: both senders have to wait
            byte[] ones = Enumerable.Repeat((byte)1, Size).ToArray();
            byte[] twos = Enumerable.Repeat((byte)2, Size).ToArray();
            Greenlet s1 = Gevent.Spawn(async () => await client.SendAllAsync(ones));
            Greenlet s2 = Gevent.Spawn(async () => await client.SendAllAsync(twos));
            long total = 0, sum = 0;
            byte[] buffer = new byte[64 * 1024];
            while (total < 2L * Size)
            {
                int n = await server.ReceiveAsync(buffer);
                Assert.True(n > 0);
                total += n;
                for (int i = 0; i < n; i++)
                {
                    sum += buffer[i];
                }
            }

            await Gevent.JoinAllAsync(new[] { s1, s2 }, raiseError: true);
            Assert.Equal(3L * Size, sum);
        }
    });

    [Theory]
    [MemberData(nameof(Pollers))]
    public void SendAll_LargerThanSocketBuffers_ArrivesWhole(PollerKind poller) => NetHub.Run(poller, async () =>
    {
        var (client, server) = await NetHub.PairAsync();
        using (client)
        using (server)
        {
            byte[] data = new byte[8 * 1024 * 1024];
            new Random(42).NextBytes(data);
            Greenlet sender = Gevent.Spawn(async Task () => await client.SendAllAsync(data));
            byte[] got = await NetHub.ReceiveExactlyAsync(server, data.Length);
            await sender.GetAsync();
            Assert.True(data.AsSpan().SequenceEqual(got));
        }
    });

    [Theory]
    [MemberData(nameof(Pollers))]
    public void Connect_ToClosedPort_IsRefused(PollerKind poller) => NetHub.Run(poller, async () =>
    {
        EndPoint free;
        using (GreenSocket probe = GreenSocket.Listen(NetHub.Loopback0))
        {
            free = probe.LocalEndPoint!;
        }

        using GreenSocket sock = GreenSocket.CreateTcp();
        var e = await Assert.ThrowsAnyAsync<SocketException>(async () => await sock.ConnectAsync(free));
        Assert.Equal(SocketError.ConnectionRefused, e.SocketErrorCode);
    });

    [Fact]
    public void Connect_ToFullBacklog_TimesOut()
    {
        // real-time: a connect that the kernel leaves pending (full accept queue); each attempt waits 0.2 s.
        NetHub.Run(PollerKind.Epoll, async () =>
        {
            using GreenSocket listener = GreenSocket.Listen(NetHub.Loopback0, backlog: 0);
            var clients = new List<GreenSocket>();
            int timedOut = 0;
            try
            {
                for (int i = 0; i < 8 && timedOut == 0; i++)
                {
                    var c = GreenSocket.CreateTcp();
                    clients.Add(c);
                    c.Timeout = TimeSpan.FromSeconds(0.2);
                    try
                    {
                        await c.ConnectAsync(listener.LocalEndPoint!);
                    }
                    catch (SocketTimeoutException)
                    {
                        timedOut++;
                    }
                }
            }
            finally
            {
                clients.ForEach(c => c.Close());
            }

            Assert.Equal(1, timedOut);
        });
    }

    [Theory]
    [MemberData(nameof(Pollers))]
    public void Udp_SendToAndReceiveFrom_BothFamilies(PollerKind poller) => NetHub.Run(poller, async () =>
    {
        foreach (IPEndPoint any in new[] { NetHub.Loopback0, NetHub.Loopback6_0 })
        {
            using GreenSocket a = GreenSocket.BindUdp(any);
            using GreenSocket b = GreenSocket.BindUdp(any);
            await a.SendToAsync("ping"u8.ToArray(), b.LocalEndPoint!);
            byte[] buffer = new byte[100];
            SocketReceiveFromResult r = await b.ReceiveFromAsync(buffer);
            Assert.Equal("ping", Encoding.ASCII.GetString(buffer, 0, r.ReceivedBytes));
            Assert.Equal(a.LocalEndPoint, r.RemoteEndPoint);
        }
    });

    [Theory]
    [MemberData(nameof(Pollers))]
    public void CreateConnection_ToLocalhost_TriesResolvedAddresses(PollerKind poller) => NetHub.Run(poller, async () =>
    {
        using GreenSocket listener = GreenSocket.Listen(NetHub.Loopback0);
        int port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        Greenlet<GreenSocket> accept = Gevent.Spawn(() => listener.AcceptAsync().AsTask());
        using GreenSocket c = await GreenSocket.CreateConnectionAsync("localhost", port, TimeSpan.FromSeconds(5));
        using GreenSocket s = await accept;
        Assert.Equal(TimeSpan.FromSeconds(5), c.Timeout);
        Assert.Equal(IPAddress.Loopback, ((IPEndPoint)c.RemoteEndPoint!).Address);
    });

    [Theory]
    [MemberData(nameof(Pollers))]
    public void WaitReadable_ReturnsAtOnce_WhenDataIsAlreadyThere(PollerKind poller) => NetHub.Run(poller, async () =>
    {
        var (client, server) = await NetHub.PairAsync();
        using (client)
        using (server)
        {
            await client.SendAllAsync("abcdef"u8.ToArray());
            await server.WaitReadableAsync();
            byte[] b = new byte[3];
            Assert.Equal(3, await server.ReceiveAsync(b));
            await server.WaitReadableAsync(); // the rest is still buffered: no new edge, must not hang
            Assert.Equal(3, await server.ReceiveAsync(b));
        }
    });

    [Fact]
    public void ReuseOptions_AreSettable() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        using GreenSocket s = GreenSocket.CreateTcp();
        s.ReuseAddress = true;
        s.ReusePort = true;
        Assert.True(s.ReuseAddress);
        Assert.True(s.ReusePort);
        await Gevent.Sleep(0);
    });

    /// <summary>
    /// Round trips through the socket, through <see cref="GreenStream"/>s over it, or served by the
    /// echo sample's handler (wait until readable, then a buffer rented for one receive and send),
    /// allocate nothing once warm.
    /// </summary>
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void SteadyStateSendAndReceive_AllocateNothing(bool viaStream, bool rentedBuffers) => NetHub.Run(PollerKind.Epoll, async () =>
    {
        var (client, server) = await NetHub.PairAsync();
        using (client)
        using (server)
        {
            Stream? clientStream = viaStream ? client.GetStream(ownsSocket: false) : null;
            Stream? serverStream = viaStream ? server.GetStream(ownsSocket: false) : null;
            byte[] a = new byte[64];
            byte[] b = new byte[64];

            // No token (GS0005): a GreenStream's reads and writes are hub waits, which a kill or a
            // Timeout interrupts without one, and a cancelable token costs an allocation per wait.
            CancellationToken none = CancellationToken.None;
            Greenlet echo = Gevent.Spawn(async Task () =>
            {
                if (rentedBuffers)
                {
                    await GeventSharp.Samples.EchoServer.EchoServerSample.HandleAsync(server, NetHub.Loopback0);
                    return;
                }

                int n;
                while ((n = serverStream is null ? await server.ReceiveAsync(b) : await serverStream.ReadAsync(b, none)) > 0)
                {
                    if (serverStream is null)
                    {
                        await server.SendAllAsync(b.AsMemory(0, n));
                    }
                    else
                    {
                        await serverStream.WriteAsync(b.AsMemory(0, n), none);
                    }
                }
            });

            async Task RoundTrips(int count)
            {
                for (int i = 0; i < count; i++)
                {
                    if (clientStream is null)
                    {
                        await client.SendAllAsync(a);
                    }
                    else
                    {
                        await clientStream.WriteAsync(a, none);
                    }

                    int got = 0;
                    while (got < a.Length)
                    {
                        got += clientStream is null ? await client.ReceiveAsync(a.AsMemory(got)) : await clientStream.ReadAsync(a.AsMemory(got), none);
                    }
                }
            }

            await RoundTrips(2000); // warm up pools and tiered JIT

            // The least of up to three measurements: a per-round allocation shows in each, while a
            // one-off (a hub buffer growing once when the load happens to make reads wait more
            // often: 8,200 bytes in one of ten loaded runs) does not repeat.
            long allocated = long.MaxValue;
            for (int attempt = 0; attempt < 3 && allocated >= 5000; attempt++)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                await RoundTrips(5000);
                allocated = Math.Min(allocated, GC.GetAllocatedBytesForCurrentThread() - before);
            }

            client.Shutdown(SocketShutdown.Send);
            await echo.GetAsync();
            Assert.True(allocated < 5000, $"{allocated} bytes allocated over 5000 round trips");
        }
    });
}

public class GreenSocketKillDuringSendTests
{
    public static TheoryData<PollerKind> Pollers => NetHub.Pollers;

    [Theory]
    [MemberData(nameof(Pollers))]
    public void Kill_DuringSendAll_LeavesSocketUsable(PollerKind poller) => NetHub.Run(poller, async () =>
    {
        var (client, server) = await NetHub.PairAsync();
        using (client)
        using (server)
        {
            client.Timeout = TimeSpan.FromSeconds(30);
            server.Timeout = TimeSpan.FromSeconds(30);
            byte[] big = new byte[16 * 1024 * 1024]; // more than the socket buffers hold: SendAll must wait
            Greenlet sender = Gevent.Spawn(async Task () => await client.SendAllAsync(big));
            await Gevent.Sleep(0.01);
            Assert.False(sender.Ready);
            await sender.KillAsync();
            Assert.Null(sender.Exception);

            // A prefix was sent; the socket still sends, and the peer receives the rest and the end of stream.
            Greenlet<long> drain = Gevent.Spawn(async Task<long> () =>
            {
                long total = 0;
                byte[] b = new byte[64 * 1024];
                int n;
                while ((n = await server.ReceiveAsync(b)) > 0)
                {
                    total += n;
                }

                return total;
            });
            await client.SendAllAsync(new byte[1000]);
            client.Shutdown(System.Net.Sockets.SocketShutdown.Send);
            long received = await drain;
            Assert.True(received >= 1000 && received < big.Length + 1000, $"received {received}");
        }
    });
}

public class GreenSocketThreadAffinityTests
{
    [Fact]
    public void UsingASocketFromAnotherHub_IsRefused() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        var (client, server) = await NetHub.PairAsync();
        using (client)
        using (server)
        {
            Exception? seen = null;
            var other = new Thread(() => Gevent.Run(async () =>
            {
                try
                {
                    await server.ReceiveAsync(new byte[1]); // nothing to read: it would have to wait in the wrong hub
                }
                catch (Exception e) when (e is not GreenletExit and not Timeout)
                {
                    seen = e;
                }
            }));
            other.Start();
            await Gevent.RunBlockingAsync(() => other.Join());
            Assert.IsType<InvalidOperationException>(seen);
            Assert.Contains("another hub", seen!.Message);
        }
    });
}
