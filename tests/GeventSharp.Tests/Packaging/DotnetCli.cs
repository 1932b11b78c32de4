using System.Diagnostics;

namespace GeventSharp.Tests.Packaging;

/// <summary>Runs the <c>dotnet</c> command line (pack, build, a built program) for tests that work as a user would.</summary>
internal static class DotnetCli
{
    /// <summary>The repository's root (where GeventSharp.slnx is).</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>The configuration the tests were built in: the libraries beside them are the same.</summary>
    public static string Configuration { get; } =
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";

    /// <summary>Runs <c>dotnet</c> with <paramref name="args"/>; its exit code, standard output and standard error.</summary>
    public static (int Exit, string Stdout, string Stderr) Run(string? workingDirectory, params string[] args)
        => Run(workingDirectory, null, args);

    /// <summary>Runs <c>dotnet</c> with <paramref name="args"/> and extra environment variables.</summary>
    public static (int Exit, string Stdout, string Stderr) Run(string? workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workingDirectory is not null)
        {
            psi.WorkingDirectory = workingDirectory;
        }

        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[name] = value;
        }

        if (args.Length > 0 && args[0] is "build" or "pack" or "run" or "add" or "new")
        {
            // No long-lived MSBuild/compiler servers: every process of the build is a child of this
            // one and inherits its priority (below).
            psi.Environment["MSBUILDDISABLENODEREUSE"] = "1";
            psi.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
            psi.Environment["UseSharedCompilation"] = "false";
        }

        using Process p = Process.Start(psi)!;
        try
        {
            // A package build inside the suite runs below normal priority, so the suite's
            // latency-sensitive tests (the browser's, the servers') are not starved while it compiles.
            p.PriorityClass = ProcessPriorityClass.BelowNormal;
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // It may already have exited, or the system may refuse: the run is the same, only less polite.
        }

        Task<string> stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(300_000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"dotnet {string.Join(' ', args)} did not finish in 300 s");
        }

        return (p.ExitCode, stdout, stderr.Result);
    }

    private static string FindRepoRoot()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "GeventSharp.slnx")))
            {
                return d.FullName;
            }
        }

        throw new InvalidOperationException("repository root (GeventSharp.slnx) not found above " + AppContext.BaseDirectory);
    }
}
