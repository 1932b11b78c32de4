using Xunit;
using static GeventSharp.Tests.Primitives.Prim;

namespace GeventSharp.Tests.Primitives;

public sealed class StructuredGroupTests
{
    [Fact]
    public void RunStructured_WaitsForEveryMember()
    {
        var h = Run(async () =>
        {
            int done = 0;
            await Group.RunStructuredAsync(g =>
            {
                _ = g.Spawn(async () => { await Gevent.Sleep(1); done++; });
                _ = g.Spawn(async () => { await Gevent.Sleep(2); done++; });
                return Task.CompletedTask;
            });
            Assert.Equal(2, done);
        });
        Assert.Equal(TimeSpan.FromSeconds(2), h.Elapsed);
    }

    [Fact]
    public void AMemberFailure_KillsTheOthers_InterruptsTheBody_AndIsRethrown()
    {
        var h = new GeventSharp.Testing.HubHarness();
        h.Run(async () =>
        {
            bool otherCleaned = false, bodyFinished = false;
            Group? group = null;
            var e = await Assert.ThrowsAsync<FormatException>(() => Group.RunStructuredAsync(async g =>
            {
                group = g;
                _ = g.Spawn(async () =>
                {
                    try
                    {
                        await Gevent.Sleep(100);
                    }
                    finally
                    {
                        otherCleaned = true;
                    }
                });
                _ = g.Spawn((Func<Task>)(async () => { await Gevent.Sleep(1); throw new FormatException("member failed"); }));
                await Gevent.Sleep(50);
                bodyFinished = true;
            }));
            Assert.Equal("member failed", e.Message);
            Assert.True(otherCleaned);
            Assert.False(bodyFinished);
            Assert.Empty(group!);
        });
        Assert.Equal(TimeSpan.FromSeconds(1), h.Elapsed);
    }

    [Fact]
    public void ABodyFailure_KillsTheMembers_AndIsRethrown()
    {
        Run(async () =>
        {
            bool memberCleaned = false;
            await Assert.ThrowsAsync<ArithmeticException>(() => Group.RunStructuredAsync(async g =>
            {
                _ = g.Spawn(async () =>
                {
                    try
                    {
                        await Gevent.Sleep(100);
                    }
                    finally
                    {
                        memberCleaned = true;
                    }
                });
                await Gevent.Sleep(1);
                throw new ArithmeticException();
            }));
            Assert.True(memberCleaned);
        });
    }

    [Fact]
    public void AwaitUsing_AMemberFailure_IsRethrownAtTheEndOfTheScope()
    {
        var h = new GeventSharp.Testing.HubHarness();
        h.Run(async () =>
        {
            await Assert.ThrowsAsync<FormatException>(async () =>
            {
                await using StructuredGroup g = Group.Structured();
                _ = g.Spawn(async () => await Gevent.Sleep(100));
                _ = g.Spawn((Func<Task>)(async () => { await Gevent.Sleep(1); throw new FormatException(); }));
            });
        });
        Assert.Equal(TimeSpan.FromSeconds(1), h.Elapsed);
    }

    [Fact]
    public void SpawningAfterTheScope_Throws()
    {
        Run(async () =>
        {
            StructuredGroup? kept = null;
            await using (StructuredGroup g = Group.Structured())
            {
                kept = g;
            }

            Assert.Throws<InvalidOperationException>(() => kept.Spawn(() => Task.CompletedTask));
        });
    }

    [Fact]
    public void RunStructured_ReturnsTheBodysResult()
    {
        Run(async () =>
        {
            int r = await Group.RunStructuredAsync(async g =>
            {
                Greenlet<int> a = g.Spawn(() => 20);
                Greenlet<int> b = g.Spawn(() => 22);
                return await a + await b;
            });
            Assert.Equal(42, r);
        });
    }

    [Fact]
    public void KillingTheOwner_WhileItWaitsAtTheEndOfTheScope_KillsAndWaitsForTheMembers()
    {
        var trace = new List<string>();
        var h = Run(async () =>
        {
            Greenlet owner = Gevent.Spawn(async () =>
            {
                await using StructuredGroup g = Group.Structured();
                _ = g.Spawn(async () =>
                {
                    try
                    {
                        await Gevent.Sleep(10);
                    }
                    finally
                    {
                        using (Gevent.Shield())
                        {
                            await Gevent.Sleep(1); // the member's cleanup takes a second
                        }

                        trace.Add("member cleaned up");
                    }
                });
            });
            await Gevent.Sleep(1);
            Assert.True(await owner.KillAsync());
            trace.Add("owner dead");
        });

        // The kill interrupts the owner's wait for its members; the scope kills them and still waits.
        Assert.Equal(["member cleaned up", "owner dead"], trace);
        Assert.Equal(TimeSpan.FromSeconds(2), h.Elapsed);
    }
}
