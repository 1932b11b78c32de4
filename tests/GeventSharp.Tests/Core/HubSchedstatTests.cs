using System.Text;
using Xunit;

namespace GeventSharp.Tests.Core;

/// <summary>
/// The hub monitor's read of the hub thread's scheduler statistics: one file handle kept open, one
/// read per sample, parsed without allocating.
/// </summary>
public class HubSchedstatTests
{
    [Theory]
    [InlineData("123 456 7\n", 123L, 456L)]
    [InlineData("0 0 0\n", 0L, 0L)]
    [InlineData("98765432101234 5 9", 98765432101234L, 5L)]
    public void TryParse_ReadsTimeOnCpuAndOnTheRunQueue(string text, long onCpu, long waiting)
    {
        Assert.True(HubSchedstat.TryParse(Encoding.ASCII.GetBytes(text), out long cpu, out long queue));
        Assert.Equal(onCpu, cpu);
        Assert.Equal(waiting, queue);
    }

    [Theory]
    [InlineData("")]
    [InlineData("123")]
    [InlineData("123\n")]
    [InlineData("abc 1 2")]
    [InlineData("123 x 2")]
    public void TryParse_RejectsWhatIsNotSchedstat(string text)
        => Assert.False(HubSchedstat.TryParse(Encoding.ASCII.GetBytes(text), out _, out _));

    [Fact]
    public void TheKeptHandle_ReadsTheThreadsCurrentFigures_EachTime()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // no /proc: the monitor subtracts GC and JIT time only
        }

        using HubSchedstat? stats = HubSchedstat.TryOpen(LibC.CurrentOsThreadId());
        Assert.NotNull(stats);
        Assert.True(stats.TryRead(out long cpuBefore, out _));

        // Spend CPU on this thread until the kernel's figure moves: a read of the same handle must see it.
        long cpuAfter = cpuBefore;
        for (int i = 0; i < 1_000 && cpuAfter == cpuBefore; i++)
        {
            SpinFor(TimeSpan.FromMilliseconds(1));
            Assert.True(stats.TryRead(out cpuAfter, out _));
        }

        Assert.True(cpuAfter > cpuBefore, $"{cpuBefore} -> {cpuAfter}");
    }

    [Fact]
    public void AfterDispose_AReadFails_InsteadOfThrowing()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        HubSchedstat? stats = HubSchedstat.TryOpen(LibC.CurrentOsThreadId());
        Assert.NotNull(stats);
        stats.Dispose();
        Assert.False(stats.TryRead(out _, out _));
    }

    [Fact]
    public void AThreadThatDoesNotExist_HasNoStatistics()
        => Assert.Null(HubSchedstat.TryOpen(int.MaxValue));

    // real-time: the kernel adds a running thread's CPU time at scheduler ticks, so the figure moves
    // only after a tick's worth of work; the loop above bounds how long it spins.
    private static void SpinFor(TimeSpan time)
    {
        long end = System.Diagnostics.Stopwatch.GetTimestamp() + (long)(time.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        while (System.Diagnostics.Stopwatch.GetTimestamp() < end)
        {
        }
    }
}
