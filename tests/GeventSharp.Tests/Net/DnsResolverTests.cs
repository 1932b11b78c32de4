using Xunit;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using GeventSharp.Net;

namespace GeventSharp.Tests.Net;

/// <summary>A tiny DNS server on 127.0.0.1 (a greenlet with a green UDP socket) for resolver tests.</summary>
internal sealed class TestDnsResponder : IDisposable
{
    private readonly GreenSocket _sock;
    private readonly GreenSocket? _tcpListener;

    public TestDnsResponder(bool withTcp = false)
    {
        // With TCP, the same port number must be free for both: other tests hold ports too, so retry.
        for (int attempt = 0; ; attempt++)
        {
            _sock = GreenSocket.BindUdp(new IPEndPoint(IPAddress.Loopback, 0));
            if (!withTcp)
            {
                return;
            }

            try
            {
                _tcpListener = GreenSocket.Listen(new IPEndPoint(IPAddress.Loopback, ((IPEndPoint)_sock.LocalEndPoint!).Port));
                return;
            }
            catch (SocketException) when (attempt < 50)
            {
                _sock.Close();
            }
        }
    }

    public IPEndPoint EndPoint => (IPEndPoint)_sock.LocalEndPoint!;

    /// <summary>Queries that had arrived when the first answer was sent.</summary>
    public int ReceivedBeforeFirstAnswer { get; private set; } = -1;

    public List<string> Names { get; } = new();

    /// <summary>Collects <paramref name="expected"/> queries (or gives up after <paramref name="patience"/>), then answers them all.</summary>
    /// <summary>Answers over UDP with the TC (truncated) flag and no records, as a server does when the answer is too long.</summary>
    public bool TruncateUdp { get; init; }

    /// <summary>
    /// Serves one query over TCP on the UDP socket's port number (DNS's two-byte length framing),
    /// answering with <paramref name="answer"/>.
    /// </summary>
    public Greenlet ServeOneTcpQuery(Func<string, ushort, byte[]?> answer)
    {
        GreenSocket listener = _tcpListener ?? throw new InvalidOperationException("create the responder with withTcp: true");
        return Gevent.Spawn(async Task () =>
        {
            using GreenSocket l = listener;
            using GreenSocket conn = await l.AcceptAsync();
            byte[] prefix = await ReadExactlyAsync(conn, 2);
            byte[] query = await ReadExactlyAsync(conn, BinaryPrimitives.ReadUInt16BigEndian(prefix));
            (string name, ushort type, int questionEnd) = ParseQuestion(query);
            Names.Add("tcp:" + name);
            byte[] response = Respond(query, questionEnd, type, answer(name, type), truncated: false);
            byte[] framed = new byte[response.Length + 2];
            BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)response.Length);
            response.CopyTo(framed, 2);
            await conn.SendAllAsync(framed);
        });
    }

    private static async Task<byte[]> ReadExactlyAsync(GreenSocket sock, int count)
    {
        byte[] b = new byte[count];
        for (int done = 0; done < count;)
        {
            int n = await sock.ReceiveAsync(b.AsMemory(done));
            Assert.NotEqual(0, n);
            done += n;
        }

        return b;
    }

    public Greenlet AnswerAfterCollecting(int expected, TimeSpan patience, Func<string, ushort, byte[]?> answer)
        => Gevent.Spawn(async Task () =>
        {
            var pending = new List<(byte[] Query, EndPoint From)>();
            byte[] buffer = new byte[1500];
            _sock.Timeout = patience;
            try
            {
                while (pending.Count < expected)
                {
                    SocketReceiveFromResult r = await _sock.ReceiveFromAsync(buffer);
                    pending.Add((buffer.AsSpan(0, r.ReceivedBytes).ToArray(), r.RemoteEndPoint));
                }
            }
            catch (SocketTimeoutException)
            {
                // a sequential resolver never sends them all: answer what came
            }

            ReceivedBeforeFirstAnswer = pending.Count;
            foreach (var (query, from) in pending)
            {
                (string name, ushort type, int questionEnd) = ParseQuestion(query);
                Names.Add(name);
                await _sock.SendToAsync(TruncateUdp ? Respond(query, questionEnd, type, [], truncated: true) : Respond(query, questionEnd, type, answer(name, type), truncated: false), from);
            }
        });

    public void Dispose()
    {
        _sock.Close();
        _tcpListener?.Close();
    }

    private static (string Name, ushort Type, int End) ParseQuestion(byte[] q)
    {
        var labels = new List<string>();
        int pos = 12;
        while (q[pos] != 0)
        {
            labels.Add(Encoding.ASCII.GetString(q, pos + 1, q[pos]));
            pos += q[pos] + 1;
        }

        ushort type = BinaryPrimitives.ReadUInt16BigEndian(q.AsSpan(pos + 1));
        return (string.Join('.', labels), type, pos + 5);
    }

    /// <summary>null rdata: NXDOMAIN; empty: no answer; else one record of the query's type.</summary>
    private static byte[] Respond(byte[] query, int questionEnd, ushort type, byte[]? rdata, bool truncated)
    {
        var r = new List<byte>(query.AsSpan(0, questionEnd).ToArray());
        r[2] = (byte)(truncated ? 0x83 : 0x81);
        r[3] = (byte)(rdata is null ? 0x83 : 0x80);
        r[6] = 0;
        r[7] = (byte)(rdata is { Length: > 0 } ? 1 : 0);
        if (rdata is { Length: > 0 })
        {
            r.AddRange(new byte[] { 0xC0, 0x0C, (byte)(type >> 8), (byte)type, 0, 1, 0, 0, 0, 60, (byte)(rdata.Length >> 8), (byte)rdata.Length });
            r.AddRange(rdata);
        }

        return r.ToArray();
    }

    public static byte[] EncodeName(string name)
    {
        var b = new List<byte>();
        foreach (string label in name.Split('.'))
        {
            b.Add((byte)label.Length);
            b.AddRange(Encoding.ASCII.GetBytes(label));
        }

        b.Add(0);
        return b.ToArray();
    }
}

public class DnsResolverTests
{
    [Fact]
    public void Lookups_FromManyGreenlets_RunConcurrently()
    {
        const int N = 10;
        NetHub.Run(PollerKind.Epoll, async () =>
        {
            using var responder = new TestDnsResponder();
            // real-time: the responder waits up to 5 s for all N queries; concurrent lookups send them at once.
            Greenlet server = responder.AnswerAfterCollecting(N, TimeSpan.FromSeconds(5), (name, type) => [127, 0, 0, (byte)(int.Parse(name[4..]) + 1)]);
            var resolver = new DnsResolver(responder.EndPoint) { UseHostsFile = false, QueryTimeout = TimeSpan.FromSeconds(10) };
            var lookups = Enumerable.Range(0, N)
                .Select(i => Gevent.Spawn(async Task<IPAddress[]> () => await resolver.GetHostAddressesAsync($"host{i}", AddressFamily.InterNetwork, default)))
                .ToList();
            await Gevent.JoinAllAsync(lookups, raiseError: true);
            await server.GetAsync();
            Assert.Equal(N, responder.ReceivedBeforeFirstAnswer); // all N were in flight before any answer: N lookups ≈ the slowest one
            for (int i = 0; i < N; i++)
            {
                Assert.Equal(IPAddress.Parse($"127.0.0.{i + 1}"), Assert.Single(((Greenlet<IPAddress[]>)lookups[i]).Value!));
            }
        });
    }

    [Fact]
    public void UnknownName_ThrowsDnsResolutionException_AndIsNotReportedAsACrash()
    {
        var reported = new List<Exception>();
        NetHub.Run(
            PollerKind.Epoll,
            async () =>
            {
                using var responder = new TestDnsResponder();
                Greenlet server = responder.AnswerAfterCollecting(1, TimeSpan.FromSeconds(5), (name, type) => null);
                var resolver = new DnsResolver(responder.EndPoint) { UseHostsFile = false };
                Greenlet lookup = Gevent.Spawn(async Task () => await resolver.GetHostAddressesAsync("nowhere.test", AddressFamily.InterNetwork, default));
                await lookup.JoinAsync();
                await server.GetAsync();
                var e = Assert.IsType<DnsResolutionException>(lookup.Exception);
                Assert.Equal(SocketError.HostNotFound, e.SocketErrorCode);
                Assert.Contains(typeof(DnsResolutionException), Hub.Current!.NotErrors);
            },
            onError: (g, e) => reported.Add(e));
        Assert.Empty(reported);
    }

    [Fact]
    public void ReverseLookup_ReadsThePtrRecord() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        using var responder = new TestDnsResponder();
        Greenlet server = responder.AnswerAfterCollecting(1, TimeSpan.FromSeconds(5), (name, type) => TestDnsResponder.EncodeName("loop.example"));
        var resolver = new DnsResolver(responder.EndPoint);
        Assert.Equal("loop.example", await resolver.GetHostNameAsync(IPAddress.Parse("127.0.0.9"), default));
        await server.GetAsync();
        Assert.Equal("9.0.0.127.in-addr.arpa", Assert.Single(responder.Names));
    });

    [Fact]
    public void TruncatedUdpAnswer_IsAskedAgainOverTcp() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        using var responder = new TestDnsResponder(withTcp: true) { TruncateUdp = true };
        Greenlet tcp = responder.ServeOneTcpQuery((name, type) => [10, 1, 2, 3]);
        Greenlet udp = responder.AnswerAfterCollecting(1, TimeSpan.FromSeconds(5), (name, type) => [10, 9, 9, 9]);
        var resolver = new DnsResolver(responder.EndPoint) { UseHostsFile = false };
        IPAddress[] addresses = await resolver.GetHostAddressesAsync("big.test", AddressFamily.InterNetwork, default);
        Assert.Equal(IPAddress.Parse("10.1.2.3"), Assert.Single(addresses));
        await udp.GetAsync();
        await tcp.GetAsync();
        Assert.Equal(["big.test", "tcp:big.test"], responder.Names);
    });

    [Fact]
    public void SilentServer_GivesTryAgain_OnTheVirtualClock()
    {
        NetHub.RunVirtual(PollerKind.Epoll, async () =>
        {
            using GreenSocket silent = GreenSocket.BindUdp(new IPEndPoint(IPAddress.Loopback, 0));
            var resolver = new DnsResolver((IPEndPoint)silent.LocalEndPoint!) { UseHostsFile = false, Attempts = 2 };
            var e = await Assert.ThrowsAsync<DnsResolutionException>(async () => await resolver.GetHostAddressesAsync("quiet.test", AddressFamily.InterNetwork, default));
            Assert.Equal(SocketError.TryAgain, e.SocketErrorCode);
        });
    }

    [Fact]
    public void Localhost_IsAnsweredWithoutAsking() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        var resolver = new DnsResolver(new IPEndPoint(IPAddress.Loopback, 1));
        Assert.Contains(IPAddress.Loopback, await resolver.GetHostAddressesAsync("localhost", AddressFamily.Unspecified, default));
    });
}

public class GreenDnsTests
{
    [Fact]
    public void DefaultResolver_IsTheOsResolverOnTheThreadPool() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        Assert.IsType<ThreadResolver>(GreenDns.Resolver);
        IPAddress[] a = await GreenDns.GetHostAddressesAsync("localhost");
        Assert.Contains(a, x => IPAddress.IsLoopback(x));
    });

    [Fact]
    public void Literal_IsReturnedAsIs() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        Assert.Equal(IPAddress.IPv6Loopback, Assert.Single(await GreenDns.GetHostAddressesAsync("::1")));
        IReadOnlyList<AddressInfo> infos = await GreenDns.GetAddrInfoAsync("127.0.0.1", 80, socketType: SocketType.Stream);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 80), Assert.Single(infos).EndPoint);
    });

    [Fact]
    public void ReverseName_FormatsBothFamilies()
    {
        Assert.Equal("1.0.0.127.in-addr.arpa", DnsResolver.ReverseName(IPAddress.Parse("127.0.0.1")));
        Assert.StartsWith("1.0.0.0.", DnsResolver.ReverseName(IPAddress.IPv6Loopback));
        Assert.EndsWith(".ip6.arpa", DnsResolver.ReverseName(IPAddress.IPv6Loopback));
    }
}
