namespace GeventSharp.Net;

/// <summary>Process-wide limits that servers with many connections need raised.</summary>
/// <example><code>ulong limit = ProcessLimits.RaiseOpenFileLimit(65536); // each connection is a file descriptor</code></example>
public static class ProcessLimits
{
    /// <summary>
    /// Raises the soft limit on open file descriptors (RLIMIT_NOFILE) toward <paramref name="wanted"/>,
    /// up to the hard limit; returns the limit now in force (0 where unsupported).
    /// </summary>
    public static ulong RaiseOpenFileLimit(ulong wanted) => OperatingSystem.IsLinux() ? LibC.RaiseFileLimit(wanted) : 0;
}
