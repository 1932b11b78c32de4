using Xunit;

namespace GeventSharp.Tests.Core;

/// <summary>
/// Behaviour of the state a greenlet keeps out of line (name, failure, kill value, cancellation
/// token, cancellable waits, exceptions raised into foreign awaits), and of the ready queue giving
/// back its array after a burst: both exist to keep memory low, and must not change what users see.
/// </summary>
public class GreenletFootprintTests
{
    [Fact]
    public void Name_DefaultsToFunctionName_AndCanBeSet()
    {
        Gevent.Run(async () =>
        {
            Greenlet g = Gevent.Spawn(Worker);
            Assert.Equal("Worker", g.Name);
            g.Name = "renamed";
            Assert.Equal("renamed", g.Name);
            Assert.Contains("\"renamed\"", g.ToString(), StringComparison.Ordinal);
            await g.JoinAsync();
            Assert.Equal("main", Greenlet.Current!.Name);

            static void Worker()
            {
            }
        });
    }

    [Fact]
    public void FailedGreenlet_KeepsException_AndIsNotSuccessful()
    {
        var errors = new List<Exception>();
        Gevent.Run(
            async () =>
            {
                Greenlet ok = Gevent.Spawn(static () => { });
                Greenlet bad = Gevent.Spawn((Action)(static () => throw new InvalidOperationException("boom")));
                await Gevent.JoinAllAsync(new[] { ok, bad });
                Assert.True(ok.Successful);
                Assert.Null(ok.Exception);
                Assert.Null(ok.Value);
                Assert.False(bad.Successful);
                Assert.IsType<InvalidOperationException>(bad.Exception);
                await Assert.ThrowsAsync<InvalidOperationException>(async () => await bad.GetAsync());
            },
            new HubOptions { ErrorHandler = (_, e) => errors.Add(e) });
        Assert.Single(errors);
    }

    [Fact]
    public void KilledGreenlet_IsSuccessful_WithGreenletExitValue()
    {
        Gevent.Run(async () =>
        {
            bool cleanedUp = false;
            Greenlet<int> g = Gevent.Spawn((Func<Task<int>>)(async () =>
            {
                try
                {
                    await Gevent.Sleep(1000);
                    return 1;
                }
                finally
                {
                    cleanedUp = true;
                }
            }));
            await Gevent.Sleep(0);
            Assert.True(await g.KillAsync());
            Assert.True(cleanedUp);
            Assert.True(g.Successful);
            Assert.IsType<GreenletExit>(((Greenlet)g).Value);
            Assert.Equal(0, g.Value);
        });
    }

    [Fact]
    public void TypedGreenlet_ReturnsResult_FromTaskAndValueTaskBodies()
    {
        Gevent.Run(async () =>
        {
            Greenlet<int> fromTask = Gevent.Spawn((Func<Task<int>>)(async () =>
            {
                await Gevent.Sleep(0);
                return 42;
            }));
            Greenlet<string> fromValueTask = Gevent.Spawn(() => new ValueTask<string>("v"));
            var gate = new Greenlet(static () => { });
            Greenlet<bool> waitsOnGate = Gevent.Spawn(() => gate.JoinAsync());
            await Gevent.Sleep(0);
            Assert.False(waitsOnGate.Ready);
            gate.Start();
            Assert.Equal(42, await fromTask);
            Assert.Equal("v", await fromValueTask);
            Assert.True(await waitsOnGate);
            Assert.Equal(42, ((Greenlet)fromTask).Value);
        });
    }

    [Fact]
    public void Kill_CancelsToken_OfForeignAwait_AndRaisesKillException()
    {
        Gevent.Run(async () =>
        {
            using var keepAlive = Hub.Current!.KeepAlive();
            var started = new TaskCompletionSource();
            Greenlet g = Gevent.Spawn((Func<Task>)(async () =>
            {
                CancellationToken token = Greenlet.Current!.CancellationToken;
                started.SetResult();
                await Task.Delay(System.Threading.Timeout.InfiniteTimeSpan, token);
            }));
            await Gevent.Sleep(0);
            Assert.True(started.Task.IsCompleted);
            g.Kill(new InvalidTimeZoneException("stop"));
            Assert.True(await g.JoinAsync(TimeSpan.FromSeconds(10)));
            Assert.IsType<InvalidTimeZoneException>(g.Exception);
        }, new HubOptions { ErrorHandler = (_, _) => { } });
    }

    [Fact]
    public void CancellableWait_IsCancelled_ByItsToken()
    {
        Gevent.Run(async () =>
        {
            var gate = new Greenlet(static () => { });
            using var cts = new CancellationTokenSource();
            Greenlet canceller = Gevent.Spawn(() => cts.Cancel());
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await gate.JoinAsync(null, cts.Token));
            Assert.True(canceller.Ready);
            Assert.Equal(0, gate.WaiterCount);
        });
    }

    [Fact]
    public void ReadyQueue_AfterLargeBurst_StaysFifo()
    {
        const int burst = 70_000; // above the size at which the emptied queue gives its array back
        var order = new List<int>(burst * 2);
        Gevent.Run(async () =>
        {
            for (int round = 0; round < 2; round++)
            {
                var last = default(Greenlet);
                for (int i = 0; i < burst; i++)
                {
                    int k = (round * burst) + i;
                    last = Gevent.Spawn(() => order.Add(k));
                }

                await last!.JoinAsync();
            }
        });

        Assert.Equal(Enumerable.Range(0, burst * 2), order);
    }
}
