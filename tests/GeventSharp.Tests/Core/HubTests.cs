using GeventSharp.Testing;
using Xunit;

namespace GeventSharp.Tests.Core;

public class HubTests
{
    private readonly HubHarness _h = new();

    [Fact]
    public void Run_ReturnsMainsResult_OrRethrowsItsException()
    {
        Assert.Equal(42, _h.Run(async () => { await Gevent.Sleep(1); return 42; }));
        Assert.Throws<DivideByZeroException>(() => _h.Run(async () => { await Gevent.Sleep(1); throw new DivideByZeroException(); }));
        Assert.Empty(_h.Errors); // main's failure is rethrown by Run, not reported
        Gevent.Run(() => { }); // a synchronous main on the real clock
    }

    [Fact]
    public void Run_KillsGreenletsStillAlive_AndTheirFinallyBlocksRun()
    {
        var log = new List<string>();
        _h.Run(async () =>
        {
            Gevent.Spawn(async () =>
            {
                try
                {
                    await Gevent.Sleep(1000);
                }
                finally
                {
                    log.Add("finally ran");
                }
            });
            Gevent.Spawn(() => log.Add("never started: killed before start"));
            await Gevent.Sleep(0);
            log.Add("main done");
        });

        Assert.Equal(new[] { "never started: killed before start", "main done", "finally ran" }.Skip(1).Prepend(log[0]), log);
        Assert.Contains("finally ran", log);
        Assert.Equal(TimeSpan.Zero, _h.Elapsed);
    }

    [Fact]
    public void Run_CannotBeNested()
    {
        _h.Run(async () =>
        {
            var e = Assert.Throws<InvalidOperationException>(() => Gevent.Run(() => { }));
            Assert.Contains("nested", e.Message);
            await Gevent.Sleep(0);
        });
    }

    [Fact]
    public void HubOnlyApis_OutsideAHub_ThrowAndSayWhatToDo()
    {
        string spawn = Assert.Throws<InvalidOperationException>(() => Gevent.Spawn(() => { })).Message;
        Assert.StartsWith("Gevent.Spawn", spawn);
        Assert.Contains("Gevent.Run", spawn);
        Assert.Contains("Gevent.Run", Assert.Throws<InvalidOperationException>(() => { _ = Gevent.Sleep(1); }).Message);
        Assert.Contains("Gevent.Run", Assert.Throws<InvalidOperationException>(() => { _ = Gevent.IdleAsync(); }).Message);
        Assert.Null(Hub.Current);
        Assert.Null(Greenlet.Current);
    }

    [Fact]
    public void BlockingApis_InAHubCallback_ThrowAndSayToSpawnAGreenlet()
    {
        Exception? e = null;
        _h.Run(async () =>
        {
            Hub.Current!.Post(() => e = Record.Exception(() => { _ = Gevent.Sleep(1); }));
            await Gevent.Sleep(0);
        });

        Assert.IsType<InvalidOperationException>(e);
        Assert.Contains("Spawn a greenlet", e!.Message);
    }

    [Fact]
    public void GreenletApis_FromAnotherThread_Throw()
    {
        _h.Run(async () =>
        {
            Greenlet g = Gevent.Spawn(() => Gevent.Sleep(1).AsTask());
            Exception? e = await Task.Run(() => Record.Exception(() => g.Kill()));
            Assert.IsType<InvalidOperationException>(e);
            Assert.Contains("hub.Post", e!.Message);
            await g.JoinAsync();
        });
    }

    [Fact]
    public void Post_From16Threads_100000Each_LosesNothing()
    {
        const int Threads = 16;
        const int PerThread = 100_000;
        long sum = 0;
        int count = 0;
        Gevent.Run(async () =>
        {
            Hub hub = Hub.Current!;
            var done = new TaskCompletionSource();
            var threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
            {
                for (int i = 0; i < PerThread; i++)
                {
                    int value = i;
                    hub.Post(() =>
                    {
                        Assert.True(hub.IsHubThread);
                        sum += value;
                        if (++count == Threads * PerThread)
                        {
                            done.SetResult();
                        }
                    });
                }
            })).ToList();
            threads.ForEach(t => t.Start());
            await done.Task;
            #pragma warning disable GS0001 // the threads have all posted (done is complete): joining them only reaps them
            threads.ForEach(t => t.Join());
            #pragma warning restore GS0001
        });

        Assert.Equal(Threads * PerThread, count);
        Assert.Equal(Threads * ((long)PerThread * (PerThread - 1) / 2), sum);
    }

    [Fact]
    public void Post_AfterTheHubFinished_Throws()
    {
        Hub? hub = null;
        Gevent.Run(() => { hub = Hub.Current; });
        Assert.Throws<InvalidOperationException>(() => hub!.Post(() => { }));
    }

    [Fact]
    public void BlockingForever_FailsWithLoopExit_NamingTheGreenlets()
    {
        LoopExitException e = Assert.Throws<LoopExitException>(() => _h.Run(async () =>
        {
            Greenlet? b = null;
            Greenlet a = Gevent.Spawn(async () => { await Gevent.Sleep(0); await b!.JoinAsync(); });
            b = Gevent.Spawn(async () => { await Gevent.Sleep(0); await a.JoinAsync(); });
            a.Name = "a";
            b.Name = "b";
            await a.JoinAsync();
        }));

        Assert.Contains("block forever", e.Message);
        Assert.Contains("<Greenlet \"main\"", e.Message);
        Assert.Contains("<Greenlet \"a\"", e.Message);
        Assert.Contains("waits on <Greenlet \"b\"", e.Message);
    }

    [Fact]
    public void KeepAlive_LetsAnotherThreadWakeAWaitingGreenlet()
    {
        _h.Run(async () =>
        {
            Hub hub = Hub.Current!;
            Greenlet sleeper = Gevent.Spawn(async () => await Gevent.IdleAsync());
            Greenlet waiter = Gevent.Spawn(() => Gevent.Sleep(0).AsTask());
            IDisposable hold = hub.KeepAlive();
            var worker = new Thread(() =>
            {
                hub.Post(() => { });
                hold.Dispose();
            });
            worker.Start();
            await Gevent.JoinAllAsync(new[] { sleeper, waiter });
            #pragma warning disable GS0001 // the worker thread has already posted and ends at once: joining it cannot block the hub for long
            worker.Join();
            #pragma warning restore GS0001
        });
    }

    [Fact]
    public void Idle_WaitsUntilNothingElseIsReady()
    {
        var log = new List<string>();
        _h.Run(async () =>
        {
            Greenlet idle = Gevent.Spawn(async () => { await Gevent.IdleAsync(); log.Add("idle"); });
            Gevent.Spawn(async () =>
            {
                for (int i = 0; i < 3; i++)
                {
                    log.Add($"busy{i}");
                    await Gevent.Sleep(0);
                }
            });
            await idle.JoinAsync();
        });

        Assert.Equal(new[] { "busy0", "busy1", "busy2", "idle" }, log);
    }

    [Fact]
    public void ErrorHandler_ThatThrows_DoesNotStopTheHub()
    {
        var seen = new List<string>();
        Gevent.Run(
            async () =>
            {
                Gevent.Spawn(() => throw new Exception("first"));
                await Gevent.Sleep(0);
                seen.Add("still running");
            },
            new HubOptions { TimeProvider = new VirtualClock(), MonitorThreshold = null, ErrorHandler = (g, e) => { seen.Add(e.Message); throw new Exception("handler broke"); } });

        Assert.Equal(new[] { "first", "still running" }, seen);
    }

    [Fact]
    public void NotErrors_AreNotReported()
    {
        _h.Run(async () =>
        {
            Hub.Current!.NotErrors.Add(typeof(FormatException));
            await Gevent.Spawn(() => throw new FormatException()).JoinAsync();
            await Gevent.Spawn(() => throw new InvalidCastException()).JoinAsync();
        });

        Assert.IsType<InvalidCastException>(Assert.Single(_h.Errors).Exception);
    }

    [Fact]
    public void LiveGreenlets_ListsTheLivingOldestFirst()
    {
        _h.Run(async () =>
        {
            Greenlet a = Gevent.Spawn(() => Gevent.Sleep(1).AsTask());
            Greenlet b = Gevent.Spawn(() => Gevent.Sleep(2).AsTask());
            await Gevent.Sleep(0);
            Assert.Equal(new[] { Greenlet.Current!, a, b }, Hub.Current!.LiveGreenlets());
            await a.JoinAsync();
            Assert.Equal(new[] { Greenlet.Current!, b }, Hub.Current!.LiveGreenlets());
        });
    }

    [Fact]
    public void RealClock_SleepsForReal()
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        Gevent.Run(async () => await Gevent.Sleep(0.02)); // real-time: checks the real clock path once
        Assert.True(sw.Elapsed >= TimeSpan.FromMilliseconds(15));
    }

    [Fact]
    public void OneHubPerThread_TwoHubsRunSideBySide()
    {
        var results = new int[2];
        var threads = Enumerable.Range(0, 2).Select(i => new Thread(() =>
        {
            results[i] = new HubHarness().Run(async () =>
            {
                Hub mine = Hub.Current!;
                int sum = 0;
                var gs = Enumerable.Range(1, 100).Select(n => Gevent.Spawn(async () =>
                {
                    await Gevent.Sleep(n % 7);
                    Assert.Same(mine, Hub.Current);
                    sum += n;
                })).ToList();
                await Gevent.JoinAllAsync(gs);
                return sum;
            });
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        Assert.Equal(new[] { 5050, 5050 }, results);
    }

    [Fact]
    public void TaskDelay_ResumesOnTheHub_InTheSameGreenlet()
    {
        Gevent.Run(async () =>
        {
            Greenlet me = Greenlet.Current!;
            int hubThread = Environment.CurrentManagedThreadId;
            await Task.Delay(5, me.CancellationToken); // real-time: a genuine foreign timer completing on another thread
            Assert.Same(me, Greenlet.Current);
            Assert.Equal(hubThread, Environment.CurrentManagedThreadId);
        });
    }

    [Fact]
    public async Task HttpClient_ResumesOnTheHub_InTheSameGreenlet()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        Task server = Task.Run(async () =>
        {
            using System.Net.Sockets.TcpClient client = await listener.AcceptTcpClientAsync();
            using System.Net.Sockets.NetworkStream stream = client.GetStream();
            var buffer = new byte[4096];
            int read = 0;
            while (!System.Text.Encoding.ASCII.GetString(buffer, 0, read).Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                read += await stream.ReadAsync(buffer.AsMemory(read));
            }

            byte[] response = System.Text.Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello");
            await stream.WriteAsync(response);
        });

        string? body = null;
        Gevent.Run(async () =>
        {
            Greenlet me = Greenlet.Current!;
            int hubThread = Environment.CurrentManagedThreadId;
            using var http = new HttpClient();
            body = await http.GetStringAsync($"http://127.0.0.1:{port}/", me.CancellationToken);
            Assert.Same(me, Greenlet.Current);
            Assert.Equal(hubThread, Environment.CurrentManagedThreadId);
        });
        await server;

        Assert.Equal("hello", body);
    }
}
