using Xunit;
using System.IO.Pipelines;
using System.Text;
using GeventSharp.Net;

namespace GeventSharp.Tests.Net;

public class GreenStreamTests
{
    public static TheoryData<PollerKind> Pollers => NetHub.Pollers;

    [Theory]
    [MemberData(nameof(Pollers))]
    public void StreamReaderAndWriter_WorkOverGreenSockets(PollerKind poller) => NetHub.Run(poller, async () =>
    {
        var (client, server) = await NetHub.PairAsync();
        await using GreenStream cs = client.GetStream();
        await using GreenStream ss = server.GetStream();
        using var writer = new StreamWriter(cs) { AutoFlush = true };
        using var reader = new StreamReader(ss);
        await writer.WriteLineAsync("line one");
        await writer.WriteLineAsync("line two");
        Assert.Equal("line one", await reader.ReadLineAsync());
        Assert.Equal("line two", await reader.ReadLineAsync());
    });

    [Fact]
    public void Pipelines_ReadFromGreenStream() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        var (client, server) = await NetHub.PairAsync();
        await using GreenStream cs = client.GetStream();
        await using GreenStream ss = server.GetStream();
        PipeReader pipe = PipeReader.Create(ss);
        await cs.WriteAsync("pipelined bytes"u8.ToArray());
        client.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        var all = new List<byte>();
        while (true)
        {
            ReadResult r = await pipe.ReadAsync(Greenlet.Current!.CancellationToken);
            foreach (ReadOnlyMemory<byte> seg in r.Buffer)
            {
                all.AddRange(seg.ToArray());
            }

            pipe.AdvanceTo(r.Buffer.End);
            if (r.IsCompleted)
            {
                break;
            }
        }

        await pipe.CompleteAsync();
        Assert.Equal("pipelined bytes", Encoding.ASCII.GetString(all.ToArray()));
    });

    [Fact]
    public void SynchronousRead_IsRefused() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        var (client, server) = await NetHub.PairAsync();
        using GreenStream s = server.GetStream();
        client.Close();
        Assert.Throws<NotSupportedException>(() => s.Read(new byte[1], 0, 1));
        Assert.False(s.CanSeek);
    });
}
