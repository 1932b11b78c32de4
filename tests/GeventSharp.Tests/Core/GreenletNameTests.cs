using System.Reflection.Emit;
using GeventSharp.Testing;
using Xunit;

namespace GeventSharp.Tests.Core;

/// <summary>
/// A greenlet is named after its function so a reader can tell greenlets apart: a lambda by the
/// method it is written in and the compiler's number for it, a local function by its own name.
/// </summary>
public class GreenletNameTests
{
    private readonly HubHarness _h = new();

    [Fact]
    public void TwoLambdasOfOneMethod_GetDifferentNames_ThatNameTheMethod()
    {
        _h.Run(async () =>
        {
            Greenlet first = Gevent.Spawn(() => { });
            Greenlet second = Gevent.Spawn(() => { });
            Assert.Matches(@"^TwoLambdasOfOneMethod_GetDifferentNames_ThatNameTheMethod\.lambda#\d+$", first.Name);
            Assert.Matches(@"^TwoLambdasOfOneMethod_GetDifferentNames_ThatNameTheMethod\.lambda#\d+$", second.Name);
            Assert.NotEqual(first.Name, second.Name);
            await Gevent.JoinAllAsync(new[] { first, second });
        });
    }

    [Fact]
    public void LocalFunctionsAndMethods_AreNamedByTheirOwnNames()
    {
        _h.Run(async () =>
        {
            static Task Worker() => Task.CompletedTask;

            Greenlet local = Gevent.Spawn(Worker);
            Greenlet method = Gevent.Spawn(StaticWorker);
            Greenlet withArg = Gevent.Spawn(Greet, "ann");
            Assert.Equal("Worker", local.Name);
            Assert.Equal("StaticWorker", method.Name);
            Assert.Equal("Greet", withArg.Name);
            await Gevent.JoinAllAsync(new[] { local, method, withArg });
        });
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // named after the function given with its argument, not the library's closure
    public void ADeadGreenlet_DropsWhatItsFunctionCaptured_ButKeepsItsName(bool withArg)
    {
        Greenlet g = null!;
        WeakReference captured = null!;
        _h.Run(async () =>
        {
            (g, captured) = SpawnCapturing(withArg);
            await g.JoinAsync();
        });

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.False(captured.IsAlive);
        Assert.Matches(@"^<Greenlet ""SpawnCapturing\.lambda#\d+"" #\d+>$", g.ToString()); // read only now, after death
    }

    [Theory]
    [InlineData("<<Main>$>b__0_1", "Main.lambda#1")] // top-level statements
    [InlineData("<<Main>$>g__Test1|0_0", "Test1")]
    [InlineData("<RunAsync>b__12_3", "RunAsync.lambda#3")]
    [InlineData("<.ctor>b__2_0", ".ctor.lambda#0")]
    [InlineData("<RunAsync>b__12_3#1", "RunAsync.lambda#3")] // after edit-and-continue
    [InlineData("HandleAsync", "HandleAsync")]
    public void CompilerNames_ReadAsTheSourceDoes(string compiled, string shown)
    {
        var method = new DynamicMethod(compiled, typeof(void), Type.EmptyTypes);
        Assert.Equal(shown, GreenletNames.Of(method));
    }

    [Fact]
    public void Reports_NameTheTypeTheCodeIsWrittenIn_NotTheCompilersClosureClass()
    {
        int seen = 0;
        Func<Task> lambda = () => { seen++; return Task.CompletedTask; };
        Func<Task> local = Local;
        string? lambdaText = GreenletNames.Describe(lambda);
        Assert.NotNull(lambdaText);
        Assert.Matches(@"^GeventSharp\.Tests\.Core\.GreenletNameTests\.Reports_NameTheTypeTheCodeIsWrittenIn_NotTheCompilersClosureClass\.lambda#\d+$", lambdaText);
        Assert.Equal("GeventSharp.Tests.Core.GreenletNameTests.Reports_NameTheTypeTheCodeIsWrittenIn_NotTheCompilersClosureClass.Local", GreenletNames.Describe(local));
        Assert.Equal("GeventSharp.Tests.Core.GreenletNameTests.StaticWorker", GreenletNames.Describe((Func<Task>)StaticWorker));

        Task Local()
        {
            seen++;
            return Task.CompletedTask;
        }
    }

    private static Task StaticWorker() => Task.CompletedTask;

    private static Task Greet(string name) => Task.CompletedTask;

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static (Greenlet, WeakReference) SpawnCapturing(bool withArg)
    {
        var big = new byte[1000];
        Greenlet g = withArg ? Gevent.Spawn(n => { big[0] = (byte)n; }, 1) : Gevent.Spawn(() => { big[0] = 1; });
        return (g, new WeakReference(big));
    }
}
