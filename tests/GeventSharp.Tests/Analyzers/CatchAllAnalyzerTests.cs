using Xunit;
using static GeventSharp.Tests.Analyzers.AnalyzerHarness;

namespace GeventSharp.Tests.Analyzers;

/// <summary>GS0004: a catch-all around a wait in greenlet code must let GreenletExit and Timeout through.</summary>
public class CatchAllAnalyzerTests
{
    [Fact]
    public Task TheWorkerLoop_GetsAFilter() => VerifyFixAsync(
        """
        using GeventSharp;
        using Timeout = GeventSharp.Timeout;
        class C
        {
            async Task Worker()
            {
                while (true)
                {
                    try
                    {
                        await Gevent.Sleep(0.1);
                    }
                    {|GS0004:catch (Exception e)|}
                    {
                        Console.WriteLine(e);
                    }
                }
            }
        }
        """,
        """
        using GeventSharp;
        using Timeout = GeventSharp.Timeout;
        class C
        {
            async Task Worker()
            {
                while (true)
                {
                    try
                    {
                        await Gevent.Sleep(0.1);
                    }
                    catch (Exception e) when (e is not GreenletExit and not Timeout)
                    {
                        Console.WriteLine(e);
                    }
                }
            }
        }
        """);

    [Fact]
    public Task ABareCatch_AndACatchWithoutAVariable_GetOne_QualifyingTheClashingTimeout() => VerifyFixAsync(
        """
        using GeventSharp;
        class C
        {
            async Task M(int e)
            {
                try
                {
                    await Gevent.Sleep(1);
                }
                {|GS0004:catch|}
                {
                }

                try
                {
                    await Gevent.Sleep(1);
                }
                {|GS0004:catch (Exception)|}
                {
                    Console.WriteLine(e);
                }
            }
        }
        """,
        """
        using GeventSharp;
        class C
        {
            async Task M(int e)
            {
                try
                {
                    await Gevent.Sleep(1);
                }
                catch (Exception ex) when (ex is not GreenletExit and not GeventSharp.Timeout)
                {
                }

                try
                {
                    await Gevent.Sleep(1);
                }
                catch (Exception ex) when (ex is not GreenletExit and not GeventSharp.Timeout)
                {
                    Console.WriteLine(e);
                }
            }
        }
        """);

    [Fact]
    public Task AnExistingFilter_IsKept_AndCompleted() => VerifyFixAsync(
        """
        using GeventSharp;
        using Timeout = GeventSharp.Timeout;
        class C
        {
            async Task M(bool log)
            {
                try
                {
                    await Gevent.Sleep(1);
                }
                {|GS0004:catch (Exception e) when (e is not GreenletExit)|}
                {
                }

                try
                {
                    await Gevent.Sleep(1);
                }
                {|GS0004:catch (Exception e) when (log || e is ArgumentException)|}
                {
                }
            }
        }
        """,
        """
        using GeventSharp;
        using Timeout = GeventSharp.Timeout;
        class C
        {
            async Task M(bool log)
            {
                try
                {
                    await Gevent.Sleep(1);
                }
                catch (Exception e) when (e is not GreenletExit && e is not Timeout)
                {
                }

                try
                {
                    await Gevent.Sleep(1);
                }
                catch (Exception e) when ((log || e is ArgumentException) && e is not GreenletExit and not Timeout)
                {
                }
            }
        }
        """);

    [Fact]
    public Task CatchesThatLetTheSignalsThrough_OrDoNotWait_AreNotReported() => VerifyAsync(
        """
        using System.Net.Sockets;
        using GeventSharp;
        using Timeout = GeventSharp.Timeout;
        class C
        {
            async Task M(Timeout mine)
            {
                try { await Gevent.Sleep(1); } catch (Exception e) when (e is not GreenletExit and not Timeout) { }
                try { await Gevent.Sleep(1); } catch (Exception e) when (!(e is GreenletExit || e is Timeout)) { }
                try { await Gevent.Sleep(1); } catch (Exception e) when (e is IOException or SocketException) { }
                try { await Gevent.Sleep(1); } catch (Exception e) when (mine.Caused(e)) { }
                try { await Gevent.Sleep(1); } catch (IOException) { }
                try { await Gevent.Sleep(1); } catch (Exception) { Console.WriteLine("cleanup"); throw; }
                try { await Gevent.Sleep(1); } catch (GreenletExit) { throw; } catch (Timeout) { return; } catch (Exception) { }
                try { Console.WriteLine(); } catch (Exception) { }
                try { Gevent.Spawn(async () => await Gevent.Sleep(1)); } catch (Exception) { }
            }

            async Task NotGreenletCode(Stream s)
            {
                try { await s.FlushAsync(CancellationToken.None); } catch (Exception) { }
            }
        }
        """);

    [Fact]
    public Task ACatchThatLetsOnlyOneThrough_NamesTheOther() => VerifyAsync(
        """
        using GeventSharp;
        class C
        {
            async Task M()
            {
                try { await Gevent.Sleep(1); } {|GS0004:catch (Exception e) when (e is not GeventSharp.Timeout)|} { }
                try { await Gevent.Sleep(1); } catch (GreenletExit) { throw; } {|GS0004:catch (Exception)|} { }
            }
        }
        """);
}
