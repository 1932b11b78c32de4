using System.Net;
using System.Text.RegularExpressions;
using Xunit;

namespace GeventSharp.Tests.Seed;

/// <summary>The seed's programs S1..S6 print what real gevent prints (shared/oracle), exit alike, and take the same (virtual) time.</summary>
public class SeedOracleTests
{
    private static readonly Regex ResolvedList = new(@"^\['127\.0\.0\.1', (?<host>'[^']*'|None), '127\.0\.0\.1'\]\n$");

    private static readonly Regex ReportLine = new(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ <Greenlet ""(?<name>[^""]+)"" #\d+> failed with (?<type>\w+)$");

    [Theory]
    [InlineData("01_sleep_switch", 0)]
    [InlineData("04_greenlet_states", 0)]
    [InlineData("05_global_timeout", 2)]
    [InlineData("06a_with_timeout", 1)]
    [InlineData("06b_with_timeout_toolong", 1)]
    public void Program_PrintsTheOracleStdout_InTheOracleTime(string name, double seconds)
    {
        SeedRunner.Result r = SeedRunner.Run(name, "--virtual", "--time");

        Assert.Equal(0, r.ExitCode);
        Assert.Equal(SeedRunner.Oracle(name), r.Stdout);
        Assert.Contains($"[time] {name}: {seconds} s virtual", r.Stderr);
    }

    [Fact]
    public void GreenletStates_ReportsTheFailureOnStderr_WhenTheGreenletDies()
    {
        SeedRunner.Result r = SeedRunner.Run("04_greenlet_states", "--virtual");

        string[] err = r.StderrLines;
        Assert.Equal("System.Exception: You failed!", err[0]);
        Assert.Contains(err, l => l.Contains("fail", StringComparison.Ordinal) && l.TrimStart().StartsWith("at ", StringComparison.Ordinal));
        Match m = err.Select(l => ReportLine.Match(l)).Single(x => x.Success);
        Assert.Equal("fail", m.Groups["name"].Value);
        Assert.Equal("Exception", m.Groups["type"].Value);
    }

    [Fact]
    public void GreenletStates_TheReportLandsBetweenTheStartedAndReadyLines_AsInTheOracle()
    {
        SeedRunner.Result r = SeedRunner.RunCombined("04_greenlet_states", "--virtual");

        // The oracle's combined output: two "started" lines, the report, a blank line, the rest.
        string[] oracle = SeedRunner.Oracle("04_greenlet_states", "combined").Replace("\r\n", "\n").TrimEnd('\n').Split('\n');
        int oracleReport = Array.FindIndex(oracle, l => l.Contains("failed with Exception", StringComparison.Ordinal));
        string[] lines = r.StdoutLines;
        int report = Array.FindIndex(lines, l => ReportLine.IsMatch(l));

        Assert.Equal(0, r.ExitCode);
        Assert.True(report > 0, r.Stdout);
        Assert.Equal(oracle[..2], lines[..2]);                                // True, True
        Assert.Equal("System.Exception: You failed!", lines[2]);              // then the exception with its stack
        Assert.Equal(oracle[(oracleReport + 1)..], lines[(report + 1)..]);   // blank line, then ready, value...
    }

    [Theory]
    [InlineData("06c_with_timeout_uncaught", "Unhandled exception. GeventSharp.Timeout: 1 second")]
    [InlineData("06d_with_timeout_toolong_uncaught", "Unhandled exception. GeventSharp.Samples.Seed.S06WithTimeout+TooLong")]
    public void UncaughtTimeout_ExitsWithOne_AndPrintsTheException(string name, string firstLine)
    {
        SeedRunner.Result r = SeedRunner.Run(name, "--virtual", "--time");

        Assert.Equal(1, r.ExitCode);
        Assert.Equal(string.Empty, r.Stdout);
        Assert.Equal(firstLine, r.StderrLines[0]);
        Assert.Contains($"[time] {name}: 1 s virtual", r.Stderr);
    }

    [Theory]
    [InlineData("02_gethostbyname_nopatch")]
    [InlineData("03_gethostbyname_patch_socket")]
    public void Dns_PrintsTheResolvedAddresses(string name)
    {
        // The oracle's middle name is this machine's host name. A host name may map to several IPv4
        // addresses, in an order that can change between lookups: the program's answer must be one of them.
        string[] hostAddresses = ResolveIPv4(Dns.GetHostName());

        SeedRunner.Result r = SeedRunner.Run(name);

        Assert.Equal(0, r.ExitCode);
        Match printed = ResolvedList.Match(r.Stdout);
        Assert.True(printed.Success, r.Stdout);
        string host = printed.Groups["host"].Value;
        Assert.True(hostAddresses.Contains(host) || (hostAddresses.Length == 0 && host == "None"), $"{host} is not one of [{string.Join(", ", hostAddresses)}]");
        Assert.Equal(string.Empty, SeedRunner.WithoutMonitorReports(r.Stderr)); // no greenlet failed
        if (host == "'127.0.0.1'")
        {
            Assert.Equal(SeedRunner.Oracle(name), r.Stdout);
        }
    }

    [Theory]
    [InlineData("02b_gethostbyname_nopatch_original_urls", 3)]
    [InlineData("03b_gethostbyname_patch_socket_original_urls", 0)]
    public void Dns_OriginalNames_Offline_FailLikeGevent(string name, int reports)
    {
        if (CanResolve("www.python.org"))
        {
            return; // this machine has DNS: the offline behaviour cannot be observed here
        }

        SeedRunner.Result r = SeedRunner.Run(name);

        Assert.Equal(0, r.ExitCode);
        Assert.Equal(SeedRunner.Oracle(name), r.Stdout);
        Assert.Equal(reports, r.StderrLines.Count(l => ReportLine.IsMatch(l)));
    }

    [Fact]
    public void All_RunsEveryProgram()
    {
        SeedRunner.Result r = SeedRunner.Run("all", "--virtual");

        Assert.Equal(0, r.ExitCode); // every program ended as its original does (06c and 06d exit 1 on their own)
        Assert.Contains("programs ran; every exit code is the original's", r.Stdout);
        foreach (string name in new[] { "01_sleep_switch", "04_greenlet_states", "06a_with_timeout" })
        {
            Assert.Contains($"=== {name}\n" + SeedRunner.Oracle(name), r.Stdout);
        }
    }

    /// <summary>The host's IPv4 addresses, quoted as the program prints them; none if the name does not resolve.</summary>
    private static string[] ResolveIPv4(string host)
    {
        try
        {
            return Dns.GetHostAddresses(host).Where(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork).Select(a => $"'{a}'").ToArray();
        }
        catch (System.Net.Sockets.SocketException)
        {
            return [];
        }
    }

    private static bool CanResolve(string host)
    {
        try
        {
            return Dns.GetHostAddresses(host).Length > 0;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }
}
