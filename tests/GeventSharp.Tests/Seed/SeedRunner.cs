using System.Diagnostics;
using System.Text.RegularExpressions;

namespace GeventSharp.Tests.Seed;

/// <summary>Runs the Seed sample as a child process, as a user would, and captures what it prints.</summary>
public static class SeedRunner
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public string[] StdoutLines => Split(Stdout);

        public string[] StderrLines => Split(Stderr);

        private static string[] Split(string s) => s.Replace("\r\n", "\n").TrimEnd('\n').Split('\n');
    }

    public static Result Run(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(SeedDll);
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        return Wait(psi, args);
    }

    /// <summary>
    /// Runs the sample with stderr joined to stdout on one pipe (<c>2&gt;&amp;1</c>), so the result's
    /// <see cref="Result.Stdout"/> shows the order in which the two streams were written.
    /// </summary>
    public static Result RunCombined(params string[] args)
    {
        var psi = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("exec dotnet \"$@\" 2>&1");
        psi.ArgumentList.Add("sh");
        psi.ArgumentList.Add(SeedDll);
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        return Wait(psi, args);
    }

    private static string SeedDll => Path.Combine(AppContext.BaseDirectory, "Seed.dll");

    private static Result Wait(ProcessStartInfo psi, string[] args)
    {

        using Process p = Process.Start(psi)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"Seed {string.Join(' ', args)} did not finish in 120 s");
        }

        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>
    /// <paramref name="stderr"/> without the hub monitor's reports. A real-clock run on a loaded
    /// machine may be reported (a cold start, a descheduled thread): a note about the machine, not
    /// a failure of the program, as NetHub treats them.
    /// </summary>
    public static string WithoutMonitorReports(string stderr) => MonitorReport.Replace(stderr.Replace("\r\n", "\n"), string.Empty);

    private static readonly Regex MonitorReport = new(@"^GeventSharp\.HubBlockedException: .*? blocked the hub\n\n", RegexOptions.Multiline | RegexOptions.Singleline);

    public static string Oracle(string name, string ext = "stdout")
        => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", "oracle", $"{name}.{ext}"));
}
