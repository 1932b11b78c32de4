using Xunit;
using System.Net;
using GeventSharp.Net;
using GeventSharp.Testing;

namespace GeventSharp.Tests.Net;

/// <summary>Runs networking tests on a real-clock hub with a chosen poller, failing on any reported error.</summary>
internal static class NetHub
{
    public static readonly IPEndPoint Loopback0 = new(IPAddress.Loopback, 0);
    public static readonly IPEndPoint Loopback6_0 = new(IPAddress.IPv6Loopback, 0);

    public static TheoryData<PollerKind> Pollers => new() { PollerKind.Epoll, PollerKind.Portable };

    /// <summary>Runs <paramref name="main"/>; any error reported by the hub fails the test.</summary>
    public static void Run(PollerKind poller, Func<Task> main, Action<Greenlet?, Exception>? onError = null)
    {
        var errors = new List<(Greenlet?, Exception)>();
        var options = new HubOptions
        {
            Poller = poller,
            ErrorHandler = (g, e) =>
            {
                if (e is HubBlockedException)
                {
                    // The monitor's reports here are about the test machine (its load, first-use
                    // costs such as JIT or TLS setup), not the code under test; HubMonitorTests test
                    // the monitor. They may come from the monitor thread, so nothing is recorded.
                    return;
                }

                if (onError is not null)
                {
                    onError(g, e);
                }
                else
                {
                    errors.Add((g, e));
                }
            },
        };
        try
        {
            Gevent.Run(main, options);
        }
        catch (Exception e) when (errors.Count > 0)
        {
            throw new AggregateException("main failed; the hub also reported: " + string.Join("\n", errors.Select(x => $"{x.Item1}: {x.Item2}")), e);
        }

        Assert.True(errors.Count == 0, "hub reported: " + string.Join("\n", errors.Select(e => $"{e.Item1}: {e.Item2}")));
    }

    /// <summary>Runs <paramref name="main"/> on the virtual clock (for timeouts where the peer never answers).</summary>
    public static VirtualClock RunVirtual(PollerKind poller, Func<Task> main)
    {
        var clock = new VirtualClock();
        var errors = new List<Exception>();
        Gevent.Run(main, new HubOptions { Poller = poller, TimeProvider = clock, ErrorHandler = (g, e) => errors.Add(e), MonitorThreshold = null }); // virtual time: the real-time monitor is off, as in HubHarness
        Assert.Empty(errors);
        return clock;
    }

    /// <summary>A connected pair of TCP sockets on loopback.</summary>
    public static async Task<(GreenSocket Client, GreenSocket Server)> PairAsync(bool ipv6 = false)
    {
        using GreenSocket listener = GreenSocket.Listen(ipv6 ? Loopback6_0 : Loopback0);
        var client = GreenSocket.CreateTcp(listener.AddressFamily);
        Greenlet<GreenSocket> accept = Gevent.Spawn(() => listener.AcceptAsync().AsTask());
        await client.ConnectAsync(listener.LocalEndPoint!);
        GreenSocket server = await accept;
        return (client, server);
    }

    public static async Task<byte[]> ReceiveExactlyAsync(GreenSocket sock, int count)
    {
        byte[] data = new byte[count];
        int got = 0;
        while (got < count)
        {
            int n = await sock.ReceiveAsync(data.AsMemory(got));
            if (n == 0)
            {
                throw new EndOfStreamException($"peer closed after {got} of {count} bytes");
            }

            got += n;
        }

        return data;
    }
}
