using Xunit;
using Xunit.Abstractions;
using System.Diagnostics;
using System.Net;
using GeventSharp.Net;

namespace GeventSharp.Tests.Net;

public class EchoServerScaleTests
{
    private const int Connections = 10_000;
    private readonly ITestOutputHelper _output;

    public EchoServerScaleTests(ITestOutputHelper output) => _output = output;

    /// <summary>
    /// Starts the EchoServer sample as its own process (so each side has its own descriptor limit),
    /// opens 10,000 connections to it from one hub, echoes one message on each, and reports the
    /// server's memory per idle connection.
    /// </summary>
    [Fact]
    public void EchoServerSample_Serves10000ConcurrentConnections()
    {
        ulong limit = ProcessLimits.RaiseOpenFileLimit(Connections + 4096);
        Assert.True(limit >= Connections + 1000, $"RLIMIT_NOFILE is {limit}; need about {Connections + 1000}");

        string dll = Path.Combine(AppContext.BaseDirectory, "EchoServer.dll");
        var psi = new ProcessStartInfo("dotnet", $"\"{dll}\" 0") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.Environment["DOTNET_gcServer"] = "0";
        using Process server = Process.Start(psi)!;
        try
        {
            string? banner = server.StandardOutput.ReadLine(); // "Starting echo server on 127.0.0.1:PORT"
            Assert.NotNull(banner);
            var endpoint = IPEndPoint.Parse(banner![(banner.LastIndexOf(' ') + 1)..]);
            Assert.True(IPAddress.IsLoopback(endpoint.Address));

            long rssBefore = 0, rssAfter = 0;
            int served = 0;
            NetHub.Run(PollerKind.Epoll, async () =>
            {
                var sockets = new List<GreenSocket>(Connections);
                try
                {
                    // Warm the server up, then take the baseline.
                    using (GreenSocket warm = await GreenSocket.CreateConnectionAsync("127.0.0.1", endpoint.Port, TimeSpan.FromSeconds(30)))
                    {
                        await warm.SendAllAsync(new byte[64]);
                        await NetHub.ReceiveExactlyAsync(warm, 64);
                    }

                    await Gevent.Sleep(0.2);
                    rssBefore = Rss(server.Id);

                    const int Wave = 500;
                    for (int start = 0; start < Connections; start += Wave)
                    {
                        var wave = Enumerable.Range(start, Math.Min(Wave, Connections - start)).Select(i => Gevent.Spawn(async Task<GreenSocket> () =>
                        {
                            var s = GreenSocket.CreateTcp();
                            s.Timeout = TimeSpan.FromSeconds(60);
                            await s.ConnectAsync(endpoint);
                            byte[] msg = BitConverter.GetBytes(i);
                            await s.SendAllAsync(msg);
                            byte[] back = await NetHub.ReceiveExactlyAsync(s, msg.Length);
                            Assert.Equal(i, BitConverter.ToInt32(back));
                            return s;
                        })).ToList();
                        await Gevent.JoinAllAsync(wave, raiseError: true);
                        sockets.AddRange(wave.Select(g => (GreenSocket)g.Value!));
                    }

                    served = sockets.Count;
                    await Gevent.Sleep(0.5); // idle
                    rssAfter = Rss(server.Id);
                }
                finally
                {
                    sockets.ForEach(s => s.Close());
                }
            });

            Assert.Equal(Connections, served);
            double perConnection = (rssAfter - rssBefore) / (double)Connections;
            _output.WriteLine($"{Connections} concurrent connections served; server RSS {rssBefore / 1024} KiB -> {rssAfter / 1024} KiB, " +
                              $"{perConnection:F0} bytes per idle connection (user-space RSS: greenlet, green socket, .NET Socket; kernel socket memory is not in RSS)");
        }
        finally
        {
            server.Kill();
            server.WaitForExit(10_000);
        }
    }

    private static long Rss(int pid)
    {
        foreach (string line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
            }
        }

        return 0;
    }
}
