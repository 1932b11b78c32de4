using Xunit;

namespace GeventSharp.Tests.Seed;

/// <summary>
/// Runs the seed's S7..S11 (samples/Seed) as a process on the virtual clock and compares stdout
/// with the gevent oracle line for line; S7 and S8 must take 3 s of virtual time.
/// </summary>
public sealed class SeedPrimitivesOracleTests
{
    public static TheoryData<string, double> Programs => new()
    {
        { "07_event", 3 },
        { "08_asyncresult", 3 },
        { "09_queue", 0 },
        { "10_bounded_semaphore", 0 },
        { "11_local", 0 },
    };

    [Theory]
    [MemberData(nameof(Programs))]
    public void SeedProgram_PrintsWhatGeventPrints(string name, double virtualSeconds)
    {
        SeedRunner.Result r = SeedRunner.Run(name, "--virtual", "--elapsed");

        Assert.Equal(0, r.ExitCode);
        Assert.Equal(SeedRunner.Oracle(name).Split('\n'), r.Stdout.Replace("\r\n", "\n").Split('\n'));
        Assert.Equal(FormattableString.Invariant($"elapsed {virtualSeconds}s"), r.Stderr.Trim());
    }
}
