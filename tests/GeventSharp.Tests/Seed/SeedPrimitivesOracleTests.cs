using System.Diagnostics;
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
    public async Task SeedProgram_PrintsWhatGeventPrints(string name, double virtualSeconds)
    {
        string dir = AppContext.BaseDirectory;
        string expected = File.ReadAllText(Path.Combine(dir, "TestData", "oracle", name + ".stdout"));
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = dir,
        };
        foreach (string arg in new[] { Path.Combine(dir, "Seed.dll"), name, "--virtual", "--elapsed" })
        {
            psi.ArgumentList.Add(arg);
        }

        using Process p = Process.Start(psi)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(cts.Token);
        string output = await stdout;
        string errors = await stderr;
        Assert.Equal(0, p.ExitCode);
        Assert.Equal(expected.Split('\n'), output.Replace("\r\n", "\n").Split('\n'));
        Assert.Equal(FormattableString.Invariant($"elapsed {virtualSeconds}s"), errors.Trim());
    }
}
