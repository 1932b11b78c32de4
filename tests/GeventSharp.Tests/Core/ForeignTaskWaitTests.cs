using System.Runtime.CompilerServices;
using GeventSharp.Testing;
using Xunit;

namespace GeventSharp.Tests.Core;

/// <summary>
/// Gevent.WaitAsync over a foreign task (issue 10, D): a kill or a timeout abandons the wait at once,
/// and the task's later outcome is observed and dropped.
/// </summary>
public class ForeignTaskWaitTests
{
    private readonly HubHarness _h = new();

    private sealed class LateFailure(string marker) : Exception(marker)
    {
    }

    [Fact]
    public void ReturnsTheTasksResult()
    {
        int result = _h.Run(async () =>
        {
            var tcs = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
            Gevent.Spawn(async () =>
            {
                await Gevent.Sleep(1);
                tcs.SetResult(42);
            });
            return await Gevent.WaitAsync(tcs.Task);
        });

        Assert.Equal(42, result);
        Assert.Equal(TimeSpan.FromSeconds(1), _h.Elapsed);
    }

    [Fact]
    public void RethrowsTheTasksException()
    {
        _h.Run(async () =>
        {
            var tcs = new TaskCompletionSource();
            Gevent.Spawn(async () =>
            {
                await Gevent.Sleep(1);
                tcs.SetException(new LateFailure("boom"));
            });
            LateFailure e = await Assert.ThrowsAsync<LateFailure>(async () => await Gevent.WaitAsync(tcs.Task));
            Assert.Equal("boom", e.Message);
        });
    }

    [Fact]
    public void ATimeoutAbandonsTheWait_AtOnce()
    {
        var tcs = new TaskCompletionSource<string>();
        _h.Run(async () =>
        {
            await Assert.ThrowsAsync<Timeout>(async () =>
            {
                using (Timeout.StartNew(1))
                {
                    await Gevent.WaitAsync(tcs.Task); // a task that takes no token and never finishes in time
                }
            });
            Assert.Equal(TimeSpan.FromSeconds(1), _h.Elapsed);
            tcs.SetResult("late"); // dropped
            await Gevent.Sleep(0);
        });
    }

    [Fact]
    public void AKillAbandonsTheWait_AndCancelsTheGreenletsToken()
    {
        var tcs = new TaskCompletionSource();
        CancellationToken token = default;
        bool died = false;
        _h.Run(async () =>
        {
            Greenlet g = Gevent.Spawn(async () =>
            {
                token = Greenlet.Current!.CancellationToken; // what a task started here would take
                await Gevent.WaitAsync(tcs.Task);
            });
            await Gevent.Sleep(1);
            died = await g.KillAsync(null, 0.5);
        });

        Assert.True(died);
        Assert.True(token.IsCancellationRequested);
        Assert.Equal(TimeSpan.FromSeconds(1), _h.Elapsed);
    }

    [Fact]
    public void ATimeout_CancelsTheGreenletsToken_ForTheTaskThatTookIt()
    {
        _h.Run(async () =>
        {
            CancellationToken token = Greenlet.Current!.CancellationToken;
            Task work = Task.Delay(System.Threading.Timeout.InfiniteTimeSpan, token); // foreign work that takes the token
            await Assert.ThrowsAsync<Timeout>(async () =>
            {
                using (Timeout.StartNew(1))
                {
                    await Gevent.WaitAsync(work);
                }
            });
            Assert.True(token.IsCancellationRequested); // the work itself was told to stop
            Assert.False(Greenlet.Current.CancellationToken.IsCancellationRequested); // the scope ended: a fresh token
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => work);
        });
    }

    [Fact]
    public void ItsTokenCancelsTheWait()
    {
        _h.Run(async () =>
        {
            using var cts = new CancellationTokenSource();
            var never = new TaskCompletionSource();
            Gevent.Spawn(() => cts.Cancel());
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await Gevent.WaitAsync(never.Task, cts.Token));
        });
    }

    [Fact]
    public void ValueTaskOverloads_ReturnCompletedResultsAtOnce()
    {
        int n = _h.Run(async () =>
        {
            await Gevent.WaitAsync(ValueTask.CompletedTask);
            return await Gevent.WaitAsync(new ValueTask<int>(7));
        });

        Assert.Equal(7, n);
    }

    [Fact]
    public void KeepsTheHubAliveWhileTheTaskRuns()
    {
        // real-time: the task completes on the thread pool, which the virtual clock cannot drive.
        int n = _h.Run(async () => await Gevent.WaitAsync(Task.Run(() => 5)));
        Assert.Equal(5, n);
    }

    [Fact]
    public void ALateException_OfAnAbandonedWait_IsNeverUnobserved()
    {
        const string Marker = "late failure of an abandoned wait";
        var unobserved = new List<Exception>();
        EventHandler<UnobservedTaskExceptionEventArgs> handler = (_, e) =>
        {
            lock (unobserved)
            {
                unobserved.AddRange(e.Exception.InnerExceptions.Where(x => x.Message.StartsWith("late failure", StringComparison.Ordinal)));
            }
        };
        TaskScheduler.UnobservedTaskException += handler;
        try
        {
            // The control: a faulted task nobody observes is reported, so this test can see a report.
            FaultAndForget("late failure (control)");
            AbandonAWaitThenFaultItsTask(_h, Marker);
            for (int i = 0; i < 3; i++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
        }
        finally
        {
            TaskScheduler.UnobservedTaskException -= handler;
        }

        lock (unobserved)
        {
            Assert.Contains(unobserved, e => e.Message == "late failure (control)");
            Assert.DoesNotContain(unobserved, e => e.Message == Marker);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void FaultAndForget(string message)
    {
        var tcs = new TaskCompletionSource();
        tcs.SetException(new LateFailure(message));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void AbandonAWaitThenFaultItsTask(HubHarness h, string message)
    {
        var tcs = new TaskCompletionSource();
        h.Run(async () =>
        {
            try
            {
                using (Timeout.StartNew(1))
                {
                    await Gevent.WaitAsync(tcs.Task);
                }
            }
            catch (Timeout)
            {
            }

            tcs.SetException(new LateFailure(message)); // after the greenlet gave up on it
            await Gevent.Sleep(1);
        });
    }
}
