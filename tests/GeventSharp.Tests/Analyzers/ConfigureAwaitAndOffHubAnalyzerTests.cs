using Xunit;
using static GeventSharp.Tests.Analyzers.AnalyzerHarness;

namespace GeventSharp.Tests.Analyzers;

/// <summary>GS0003 (ConfigureAwait(false) in greenlet code, and its fix) and GS0006 (hub-only APIs off the hub).</summary>
public class ConfigureAwaitAndOffHubAnalyzerTests
{
    [Fact]
    public Task ConfigureAwaitFalse_InGreenletCode_IsRemoved() => VerifyFixAsync(
        """
        using GeventSharp;
        class C
        {
            async Task<string> M(HttpClient client, Stream s)
            {
                await Gevent.Sleep(0);
                await s.FlushAsync(CancellationToken.None){|GS0003:.ConfigureAwait(false)|};
                return await client.GetStringAsync("http://x", CancellationToken.None){|GS0003:.ConfigureAwait(false)|};
            }
        }
        """,
        """
        using GeventSharp;
        class C
        {
            async Task<string> M(HttpClient client, Stream s)
            {
                await Gevent.Sleep(0);
                await s.FlushAsync(CancellationToken.None);
                return await client.GetStringAsync("http://x", CancellationToken.None);
            }
        }
        """);

    [Fact]
    public Task ConfigureAwait_OutsideGreenletCode_OrTrue_IsNotReported() => VerifyAsync(
        """
        using GeventSharp;
        class C
        {
            async Task Library(Stream s) => await s.FlushAsync().ConfigureAwait(false);

            async Task Greenlet(Stream s)
            {
                await Gevent.Sleep(0);
                await s.FlushAsync(CancellationToken.None).ConfigureAwait(true);
                await Task.Run(async () => await s.FlushAsync().ConfigureAwait(false));
            }
        }
        """);

    [Fact]
    public Task HubOnlyApis_InCodeThatRunsOffTheHub_AreReported() => VerifyAsync(
        """
        using GeventSharp;
        class C
        {
            async Task M(Greenlet g)
            {
                await Gevent.Sleep(0);
                await Task.Run(async () => await {|GS0006:Gevent.Sleep(1)|});
                _ = Task.Run(() => {|GS0006:Gevent.Spawn(() => { })|});
                var t = new Thread(() => {|GS0006:g.Kill()|});
                ThreadPool.QueueUserWorkItem(_ => {|GS0006:new Greenlet(() => { })|});
                await Gevent.RunBlockingAsync(() => {|GS0006:g.JoinAsync()|});
            }
        }
        """);

    [Fact]
    public Task AHubOfItsOwn_OrWorkPostedToTheHub_IsOnTheHub() => VerifyAsync(
        """
        using GeventSharp;
        class C
        {
            void M(Hub hub)
            {
                var t = new Thread(() => Gevent.Run(async () => await Gevent.Sleep(1)));
                _ = Task.Run(() => hub.Post(() => Gevent.Spawn(() => { })));
                _ = Task.Run(() => Thread.Sleep(1)); // real-time: analyzer input, never run
            }
        }
        """);
}
