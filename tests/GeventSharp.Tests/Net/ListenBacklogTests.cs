using System.Diagnostics;
using System.Net;
using GeventSharp.Http;
using GeventSharp.Net;
using Xunit;

namespace GeventSharp.Tests.Net;

/// <summary>
/// The listen backlog: the system's maximum by default (gevent's 128 overflows in a burst of
/// connects, each overflowed connect then waiting a second for its SYN to be retried), or what
/// the options say — checked on the listening socket, as the kernel reports it.
/// </summary>
public class ListenBacklogTests
{
    private const string SomaxconnPath = "/proc/sys/net/core/somaxconn";

    [Fact]
    public void TheDefault_IsTheSystemsSomaxconn_Or512WhereItCannotBeRead()
    {
        Assert.Equal(int.Parse(File.ReadAllText(SomaxconnPath).Trim()), new StreamServerOptions().Backlog);
        Assert.Equal(512, ListenBacklog.Read("/proc/no/such/file"));
        string empty = Path.GetTempFileName();
        try
        {
            Assert.Equal(512, ListenBacklog.Read(empty));
        }
        finally
        {
            File.Delete(empty);
        }
    }

    [Fact]
    public void TheListeningSocket_HasTheDefaultBacklog_OrTheOneConfigured()
    {
        int somaxconn = int.Parse(File.ReadAllText(SomaxconnPath).Trim());
        NetHub.Run(PollerKind.Epoll, async () =>
        {
            await using var byDefault = new HttpServer(NetHub.Loopback0, (_, _) => Task.CompletedTask);
            byDefault.Start();
            await using var configured = new HttpServer(NetHub.Loopback0, (_, _) => Task.CompletedTask, new HttpServerOptions { Server = new StreamServerOptions { Backlog = 37 } });
            configured.Start();

            Assert.Equal(somaxconn, KernelBacklog(byDefault.Address));
            Assert.Equal(37, KernelBacklog(configured.Address));
        });
    }

    /// <summary>The backlog of the socket listening on <paramref name="address"/>: for a listener, <c>ss</c>'s Send-Q column.</summary>
    private static int KernelBacklog(IPEndPoint address)
    {
        var psi = new ProcessStartInfo("ss", ["-Hltn", $"sport = :{address.Port}"]) { RedirectStandardOutput = true, UseShellExecute = false };
        using Process ss = Process.Start(psi)!;
        string output = ss.StandardOutput.ReadToEnd();
        ss.WaitForExit();
        string[] columns = output.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries); // State Recv-Q Send-Q Local Peer
        Assert.True(columns.Length >= 5 && columns[0] == "LISTEN", $"ss said: {output}");
        return int.Parse(columns[2]);
    }
}
