using GeventSharp.Testing;
using Xunit;

namespace GeventSharp.Tests.Core;

/// <summary>The two-argument spawn forms, and the token on the seconds form of join and on get.</summary>
public class SpawnArgumentsAndTokenTests
{
    private readonly HubHarness _h = new();

    [Fact]
    public void Spawn_WithTwoArguments_PassesThem_InEveryForm()
    {
        var log = new List<string>();
        _h.Run(async () =>
        {
            static async Task<string> JoinAsync(string a, int b)
            {
                await Gevent.Sleep(1);
                return a + b;
            }

            Greenlet<string> valued = Gevent.Spawn(JoinAsync, "x", 1);
            Greenlet action = Gevent.Spawn((string a, int b) => log.Add(a + b), "y", 2);
            Greenlet<int> sync = Gevent.Spawn((int a, int b) => a * b, 6, 7);
            var group = new Group();
            Greenlet<string> member = group.Spawn(JoinAsync, "z", 3);
            Greenlet memberAction = group.Spawn((string a, int b) => log.Add(a + b), "w", 4);
            Greenlet<int> memberSync = group.Spawn((int a, int b) => a - b, 9, 2);

            Assert.Equal("x1", await valued);
            Assert.Equal(42, await sync);
            Assert.Equal("z3", await member);
            Assert.Equal(7, await memberSync);
            await action.JoinAsync();
            await memberAction.JoinAsync();
            await group.JoinAsync();
            Assert.Empty(group);
            Assert.Contains("JoinAsync", valued.ToString(), StringComparison.Ordinal); // named after the function
        });
        Assert.Equal(new[] { "y2", "w4" }, log);
    }

    [Fact]
    public void JoinAsyncSeconds_AndGetAsync_HonourTheirToken()
    {
        _h.Run(async () =>
        {
            Greenlet<int> slow = Gevent.Spawn(async () =>
            {
                await Gevent.Sleep(10);
                return 1;
            });
            using var cts = new CancellationTokenSource();
            Greenlet canceller = Gevent.SpawnLater(1, () => cts.Cancel());

            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await slow.JoinAsync(5.0, cts.Token));
            Assert.Equal(TimeSpan.FromSeconds(1), _h.Elapsed);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await slow.GetAsync(null, cts.Token));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await ((Greenlet)slow).GetAsync(3.0, cts.Token));
            Assert.False(slow.Ready);
            Assert.Equal(1, await slow.GetAsync(20.0));
        });
    }
}
