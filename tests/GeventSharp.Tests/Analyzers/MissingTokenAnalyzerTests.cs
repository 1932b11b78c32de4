using Xunit;
using static GeventSharp.Tests.Analyzers.AnalyzerHarness;

namespace GeventSharp.Tests.Analyzers;

/// <summary>GS0005: a foreign await in greenlet code without a token gets the greenlet's.</summary>
public class MissingTokenAnalyzerTests
{
    [Fact]
    public Task ForeignAwaits_GetTheGreenletsToken() => VerifyFixAsync(
        """
        using GeventSharp;
        class C
        {
            async Task<int> M(HttpClient client, Stream stream, byte[] buffer)
            {
                await Gevent.Sleep(0);
                await {|GS0005:Task.Delay(100)|}; // real-time: analyzer input, never run
                string page = await {|GS0005:client.GetStringAsync("http://x")|};
                await {|GS0005:stream.WriteAsync(buffer, 0, buffer.Length)|}.ConfigureAwait(true);
                return await {|GS0005:stream.ReadAsync(buffer.AsMemory())|};
            }
        }
        """,
        """
        using GeventSharp;
        class C
        {
            async Task<int> M(HttpClient client, Stream stream, byte[] buffer)
            {
                await Gevent.Sleep(0);
                await Task.Delay(100, Greenlet.Current!.CancellationToken); // real-time: analyzer input, never run
                string page = await client.GetStringAsync("http://x", Greenlet.Current!.CancellationToken);
                await stream.WriteAsync(buffer, 0, buffer.Length, Greenlet.Current!.CancellationToken).ConfigureAwait(true);
                return await stream.ReadAsync(buffer.AsMemory(), Greenlet.Current!.CancellationToken);
            }
        }
        """);

    [Fact]
    public Task ASkippedOptionalParameter_GetsTheTokenByName() => VerifyFixAsync(
        """
        using GeventSharp;
        class C
        {
            static Task Foreign(int a, string b = "", CancellationToken cancellationToken = default) => Task.CompletedTask;

            async Task M()
            {
                await Gevent.Sleep(0);
                await {|GS0005:Foreign(1)|};
            }
        }
        """,
        """
        using GeventSharp;
        class C
        {
            static Task Foreign(int a, string b = "", CancellationToken cancellationToken = default) => Task.CompletedTask;

            async Task M()
            {
                await Gevent.Sleep(0);
                await Foreign(1, cancellationToken: Greenlet.Current!.CancellationToken);
            }
        }
        """);

    [Fact]
    public Task PassedTokens_TokenParameters_GeventSharpWaits_AndOtherCode_AreNotReported() => VerifyAsync(
        """
        using GeventSharp;
        class C
        {
            async Task Passed(Stream s, FifoQueue<int> q)
            {
                await Gevent.Sleep(0);
                await s.FlushAsync(CancellationToken.None);
                await q.GetAsync();
            }

            async Task ForwardedByCa2016(Stream s, CancellationToken cancellationToken)
            {
                await Gevent.Sleep(0);
                await s.FlushAsync();
            }

            async Task NotGreenletCode(Stream s) => await s.FlushAsync();
        }
        """);
}
