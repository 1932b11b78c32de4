using GeventSharp.Testing;
using Xunit;

namespace GeventSharp.Tests.Core;

public class TimeoutTests
{
    private readonly HubHarness _h = new();

    private sealed class TooLong : Exception
    {
    }

    [Fact]
    public void Scope_RaisesItself_AfterExactlyItsDuration()
    {
        Timeout? caught = null;
        Timeout? mine = null;
        _h.Run(async () =>
        {
            try
            {
                using (mine = Timeout.StartNew(2))
                {
                    await Gevent.Sleep(10);
                }
            }
            catch (Timeout t)
            {
                caught = t;
            }
        });

        Assert.Same(mine, caught);
        Assert.Equal(TimeSpan.FromSeconds(2), _h.Elapsed);
        Assert.False(mine!.Pending);
        Assert.True(mine.Fired);
    }

    [Fact]
    public void RaisedOnlyInTheGreenletThatStartedIt()
    {
        bool otherInterrupted = false;
        _h.Run(async () =>
        {
            Greenlet other = Gevent.Spawn(async () =>
            {
                try
                {
                    await Gevent.Sleep(5);
                }
                catch (Timeout)
                {
                    otherInterrupted = true;
                }
            });
            await Assert.ThrowsAsync<Timeout>(async () =>
            {
                using (Timeout.StartNew(1))
                {
                    await other.JoinAsync();
                }
            });
            await other.JoinAsync();
        });

        Assert.False(otherInterrupted);
        Assert.Equal(TimeSpan.FromSeconds(5), _h.Elapsed);
    }

    [Fact]
    public void CustomException_TypeAndInstance()
    {
        _h.Run(async () =>
        {
            await Assert.ThrowsAsync<TooLong>(async () =>
            {
                using (Timeout.StartNew(1, typeof(TooLong)))
                {
                    await Gevent.Sleep(10);
                }
            });
            var instance = new ArgumentException("mine");
            ArgumentException e = await Assert.ThrowsAsync<ArgumentException>(async () =>
            {
                using (Timeout.StartNew(1, instance))
                {
                    await Gevent.Sleep(10);
                }
            });
            Assert.Same(instance, e);
        });
    }

    [Fact]
    public void CustomExceptionType_WithoutAParameterlessConstructor_IsRejected()
    {
        Assert.Throws<ArgumentException>(() => new Timeout(1, typeof(string)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Timeout(-1));
    }

    [Fact]
    public void Silent_EndsTheBodyQuietly()
    {
        _h.Run(async () =>
        {
            bool finished = await Timeout.RunSilentlyAsync(1, () => Gevent.Sleep(10).AsTask());
            Assert.False(finished);
            Assert.True(await Timeout.RunSilentlyAsync(1, () => Gevent.Sleep(0.5).AsTask()));
        });

        Assert.Equal(TimeSpan.FromSeconds(1.5), _h.Elapsed);
    }

    [Fact]
    public void Nested_TheOneThatFiredIsRaised_AndCallersCanTellWhose()
    {
        var log = new List<string>();
        _h.Run(async () =>
        {
            var outer = Timeout.StartNew(1);
            try
            {
                var inner = Timeout.StartNew(5);
                try
                {
                    await Gevent.Sleep(10);
                }
                catch (Timeout t) when (t == inner)
                {
                    log.Add("inner caught (wrong)");
                }
                finally
                {
                    inner.Dispose();
                }
            }
            catch (Timeout t) when (t == outer)
            {
                log.Add("outer caught");
            }
            finally
            {
                // A fired timeout stands until its scope ends (level-triggered, docs/timeouts.md):
                // one started by hand is ended by Cancel (or Dispose), as gevent's docs ask too.
                outer.Cancel();
            }

            using (Timeout.StartNew(10))
            {
                var inner2 = Timeout.StartNew(1);
                try
                {
                    await Gevent.Sleep(10);
                }
                catch (Timeout t) when (t == inner2)
                {
                    log.Add("inner2 caught");
                }
            }
        });

        Assert.Equal(new[] { "outer caught", "inner2 caught" }, log);
        Assert.Equal(TimeSpan.FromSeconds(2), _h.Elapsed);
    }

    [Fact]
    public void Disposed_NeverFiresLater()
    {
        _h.Run(async () =>
        {
            using (Timeout.StartNew(1))
            {
                await Gevent.Sleep(0.5);
            }

            var cancelled = Timeout.StartNew(1);
            cancelled.Cancel();
            Assert.False(cancelled.Pending);
            await Gevent.Sleep(5); // would throw if either fired
        });

        Assert.Equal(TimeSpan.FromSeconds(5.5), _h.Elapsed);
    }

    [Fact]
    public void ThousandsOfCancelledTimeouts_DoNotAccumulate()
    {
        _h.Run(async () =>
        {
            for (int i = 0; i < 10_000; i++)
            {
                using (Timeout.StartNew(100))
                {
                    await Gevent.Sleep(0);
                }
            }

            await Gevent.Sleep(200);
        });

        Assert.Equal(TimeSpan.FromSeconds(200), _h.Elapsed);
    }

    [Fact]
    public void Timeout_NeverStarted_OrWithoutDuration_NeverFires()
    {
        _h.Run(async () =>
        {
            var never = new Timeout();
            never.Start();
            Assert.False(never.Pending);
            await Gevent.Sleep(1);
        });
    }

    [Theory]
    [InlineData(1, false, "1 second")]
    [InlineData(2, false, "2 seconds")]
    [InlineData(0.5, false, "0.5 seconds")]
    [InlineData(1, true, "1 second (silent)")]
    public void Message_IsLikeGevents(double seconds, bool silent, string expected)
    {
        string text = silent ? SilentText(seconds) : new Timeout(seconds).Message;
        Assert.Equal(expected, text);
    }

    private string SilentText(double seconds)
    {
        string? text = null;
        _h.Run(async () =>
        {
            await Timeout.RunSilentlyAsync(seconds, async () =>
            {
                try
                {
                    await Gevent.Sleep(seconds * 2);
                }
                catch (Timeout t)
                {
                    text = t.Message;
                    throw;
                }
            });
        });
        return text!;
    }

    [Fact]
    public void Seconds_AndDuration()
    {
        var t = new Timeout(1.5);
        Assert.Equal(1.5, t.Seconds);
        Assert.Equal(TimeSpan.FromSeconds(1.5), t.Duration);
        Assert.Null(new Timeout().Seconds);
    }

    [Fact]
    public void WithTimeout_ReturnsTheValue_TheTimeoutValue_OrThrows()
    {
        _h.Run(async () =>
        {
            Assert.Equal(1, await Gevent.WithTimeoutAsync(1, async () => { await Gevent.Sleep(0.5); return 1; }));
            Assert.Equal(-1, await Gevent.WithTimeoutAsync(1, async () => { await Gevent.Sleep(5); return 1; }, timeoutValue: -1));
            await Assert.ThrowsAsync<Timeout>(() => Gevent.WithTimeoutAsync(1, () => Gevent.Sleep(5).AsTask()));
        });

        Assert.Equal(TimeSpan.FromSeconds(2.5), _h.Elapsed);
    }

    [Fact]
    public void ForeignAwait_IsInterruptedThroughTheGreenletsToken_AndTheCallerSeesTheTimeout()
    {
        _h.Run(async () =>
        {
            var never = new TaskCompletionSource();
            Timeout t = await Assert.ThrowsAsync<Timeout>(() =>
                Gevent.WithTimeoutAsync(1, () => never.Task.WaitAsync(Greenlet.Current!.CancellationToken)));
            Assert.Equal(1, t.Seconds);

            // The greenlet gets a fresh token afterwards: later foreign calls are not cancelled.
            Assert.False(Greenlet.Current!.CancellationToken.IsCancellationRequested);
        });

        Assert.Equal(TimeSpan.FromSeconds(1), _h.Elapsed);
    }

    [Fact]
    public void Scope_AroundAForeignAwaitThatTakesTheToken_RaisesTheTimeout_NotTheCancellation()
    {
        _h.Run(async () =>
        {
            var never = new TaskCompletionSource();
            Timeout? mine = null;
            Timeout caught = await Assert.ThrowsAsync<Timeout>(async () =>
            {
                using (mine = Timeout.StartNew(1))
                {
                    await never.Task.WaitAsync(Greenlet.Current!.CancellationToken);
                }
            });
            Assert.Same(mine, caught);

            await Assert.ThrowsAsync<TooLong>(async () =>
            {
                using (Timeout.StartNew(1, typeof(TooLong)))
                {
                    await never.Task.WaitAsync(Greenlet.Current!.CancellationToken);
                }
            });

            await Gevent.Sleep(1); // nothing left pending: the next wait is not interrupted
        });

        Assert.Equal(TimeSpan.FromSeconds(3), _h.Elapsed);
    }

    [Fact]
    public void Scope_AroundAForeignAwaitThatIgnoresTheToken_RaisesTheTimeout_WhenTheScopeEnds()
    {
        var log = new List<string>();
        _h.Run(async () =>
        {
            var late = new TaskCompletionSource();
            Gevent.Spawn(async () => { await Gevent.Sleep(2); late.SetResult(); });
            await Assert.ThrowsAsync<Timeout>(async () =>
            {
                using (Timeout.StartNew(1))
                {
                    await late.Task; // no token: runs to its end at 2 s
                    log.Add($"foreign await done at {_h.Elapsed.TotalSeconds} s");
                }
            });
            log.Add($"timeout raised at {_h.Elapsed.TotalSeconds} s");
        });

        Assert.Equal(new[] { "foreign await done at 2 s", "timeout raised at 2 s" }, log);
    }

    [Fact]
    public void Nested_OuterFiresDuringAForeignAwait_TheOuterIsRaised()
    {
        string? caught = null;
        _h.Run(async () =>
        {
            var never = new TaskCompletionSource();
            Timeout outer = Timeout.StartNew(1);
            try
            {
                using (Timeout.StartNew(5))
                {
                    await never.Task.WaitAsync(Greenlet.Current!.CancellationToken);
                }
            }
            catch (Timeout t) when (t == outer)
            {
                caught = "outer";
            }
            catch (OperationCanceledException)
            {
                caught = "bare cancellation";
            }
            finally
            {
                outer.Dispose();
            }
        });

        Assert.Equal("outer", caught);
    }

    [Fact]
    public void Cancel_AfterFiringIntoAForeignAwait_DoesNotThrow_AndDropsIt()
    {
        _h.Run(async () =>
        {
            var never = new TaskCompletionSource();
            var t = Timeout.StartNew(1);
            Exception e = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => never.Task.WaitAsync(Greenlet.Current!.CancellationToken));
            Assert.True(t.Caused(e));
            t.Cancel();
            await Gevent.Sleep(1); // the dropped timeout is not raised here
        });
    }

    [Fact]
    public void Kill_DuringAForeignAwaitInATimeoutScope_IsTheKill()
    {
        _h.Run(async () =>
        {
            var never = new TaskCompletionSource();
            Greenlet g = Gevent.Spawn(async () =>
            {
                using (Timeout.StartNew(10))
                {
                    await never.Task.WaitAsync(Greenlet.Current!.CancellationToken);
                }
            });
            await Gevent.Sleep(1);
            Assert.True(await g.KillAsync());
            Assert.True(g.Successful);
            Assert.IsType<GreenletExit>(g.Value);
        });

        Assert.Empty(_h.Errors);
    }

    [Fact]
    public void StartNew_WithATimeSpan_AndACustomException()
    {
        _h.Run(async () =>
        {
            await Assert.ThrowsAsync<TooLong>(async () =>
            {
                using (Timeout.StartNew(TimeSpan.FromSeconds(1), typeof(TooLong)))
                {
                    await Gevent.Sleep(10);
                }
            });
            var instance = new TooLong();
            Assert.Same(instance, await Assert.ThrowsAsync<TooLong>(async () =>
            {
                using (Timeout.StartNew(TimeSpan.FromSeconds(1), instance))
                {
                    await Gevent.Sleep(10);
                }
            }));
            Assert.Equal("x", await Gevent.WithTimeoutAsync(TimeSpan.FromSeconds(1), async () => { await Gevent.Sleep(5); return "never"; }, timeoutValue: "x"));
        });

        Assert.Equal(TimeSpan.FromSeconds(3), _h.Elapsed);
    }

    [Fact]
    public void Kill_CancelsTheToken_OfAForeignAwait_AndTheGreenletCountsAsKilled()
    {
        _h.Run(async () =>
        {
            var never = new TaskCompletionSource();
            Greenlet g = Gevent.Spawn(() => never.Task.WaitAsync(Greenlet.Current!.CancellationToken));
            await Gevent.Sleep(0);
            Assert.True(await g.KillAsync());
            Assert.True(g.Successful);
            Assert.IsType<GreenletExit>(g.Value);
        });

        Assert.Empty(_h.Errors);
    }

    [Fact]
    public void Start_OutsideAGreenlet_Throws()
    {
        var e = Assert.Throws<InvalidOperationException>(() => new Timeout(1).Start());
        Assert.Contains("Gevent.Run", e.Message);
    }
}
