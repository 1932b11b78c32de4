using Xunit;
using static GeventSharp.Tests.Analyzers.AnalyzerHarness;

namespace GeventSharp.Tests.Analyzers;

/// <summary>GS0001 (blocking waits) and GS0002 (synchronous I/O with an async twin), and their fixes.</summary>
public class BlockingCallAnalyzerTests
{
    [Fact]
    public Task ThreadSleep_InASpawnedBody_BecomesGeventSleep() => VerifyFixAsync(
        """
        using GeventSharp;
        class C
        {
            void M(TimeSpan pause, int ms)
            {
                Gevent.Spawn(async () =>
                {
                    {|GS0001:Thread.Sleep(500)|}; // real-time: analyzer input, never run
                    {|GS0001:Thread.Sleep(pause)|}; // real-time: analyzer input, never run
                    {|GS0001:Thread.Sleep(ms)|}; // real-time: analyzer input, never run
                    await Task.Yield();
                });
            }
        }
        """,
        """
        using GeventSharp;
        class C
        {
            void M(TimeSpan pause, int ms)
            {
                Gevent.Spawn(async () =>
                {
                    await Gevent.Sleep(0.5); // real-time: analyzer input, never run
                    await Gevent.Sleep(pause); // real-time: analyzer input, never run
                    await Gevent.Sleep(TimeSpan.FromMilliseconds(ms)); // real-time: analyzer input, never run
                    await Task.Yield();
                });
            }
        }
        """);

    [Fact]
    public Task TaskWaits_InAMethodThatWaitsOnTheHub_BecomeAwaits() => VerifyFixAsync(
        """
        using GeventSharp;
        class C
        {
            async Task<int> M(Task<string> text, Task done, Task a, Task b)
            {
                await Gevent.Sleep(1);
                {|GS0001:done.Wait()|};
                {|GS0001:Task.WaitAll(a, b)|};
                int n = {|GS0001:text.Result|}.Length;
                return n + {|GS0001:text.GetAwaiter().GetResult()|}.Length;
            }
        }
        """,
        """
        using GeventSharp;
        class C
        {
            async Task<int> M(Task<string> text, Task done, Task a, Task b)
            {
                await Gevent.Sleep(1);
                await done;
                await Task.WhenAll(a, b);
                int n = (await text).Length;
                return n + (await text).Length;
            }
        }
        """);

    [Fact]
    public Task AWaitHandle_RunsOnTheHubsThreadPool() => VerifyFixAsync(
        """
        using GeventSharp;
        class C
        {
            async Task M(ManualResetEvent signal)
            {
                await Gevent.Sleep(0);
                bool set = {|GS0001:signal.WaitOne(100)|};
            }
        }
        """,
        """
        using GeventSharp;
        class C
        {
            async Task M(ManualResetEvent signal)
            {
                await Gevent.Sleep(0);
                bool set = await Gevent.RunBlockingAsync(() => signal.WaitOne(100));
            }
        }
        """);

    [Fact]
    public Task ASynchronousGreenletBody_IsReported_WithoutAFix() => VerifyNoFixAsync(
        """
        using GeventSharp;
        class C
        {
            void M() => Gevent.Spawn(() => {|GS0001:Thread.Sleep(10)|}); // real-time: analyzer input, never run
        }
        """);

    [Fact]
    public Task BlockingOffTheHub_OrOutsideGreenletCode_IsNotReported() => VerifyAsync(
        """
        using GeventSharp;
        class C
        {
            void NotGreenletCode(Task<int> t)
            {
                Thread.Sleep(10); // real-time: analyzer input, never run
                _ = t.Result;
            }

            async Task OnTheHub(Task<int> t)
            {
                await Gevent.Sleep(0);
                await Task.Run(() => Thread.Sleep(10)); // real-time: analyzer input, never run
                await Gevent.RunBlockingAsync(() => Thread.Sleep(10)); // real-time: analyzer input, never run
                var worker = new Thread(() => t.Wait());
                int fast = t.IsCompleted ? t.Result : await t;
                if (t.IsCompletedSuccessfully)
                {
                    fast += t.GetAwaiter().GetResult();
                }
            }
        }
        """);

    [Fact]
    public Task SynchronousIo_AwaitsItsTwin() => VerifyFixAsync(
        """
        using GeventSharp;
        class C
        {
            async Task M(Stream stream, byte[] buffer, string path)
            {
                await Gevent.Sleep(0);
                int n = {|GS0002:stream.Read(buffer, 0, buffer.Length)|};
                string text = {|GS0002:File.ReadAllText(path)|};
                {|GS0002:stream.Flush()|};
            }
        }
        """,
        """
        using GeventSharp;
        class C
        {
            async Task M(Stream stream, byte[] buffer, string path)
            {
                await Gevent.Sleep(0);
                int n = await stream.ReadAsync(buffer, 0, buffer.Length);
                string text = await File.ReadAllTextAsync(path);
                await stream.FlushAsync();
            }
        }
        """);

    [Fact]
    public Task InMemoryAndConsoleWrites_AreNotIo() => VerifyAsync(
        """
        using GeventSharp;
        class C
        {
            async Task M(MemoryStream memory, StringWriter log, byte[] buffer)
            {
                await Gevent.Sleep(0);
                memory.Write(buffer, 0, buffer.Length);
                log.WriteLine("x");
                Console.WriteLine("x");
                Console.Out.WriteLine("x");
                Console.Out.Flush();
                using var cts = new CancellationTokenSource();
                cts.Cancel();
            }
        }
        """);
}
