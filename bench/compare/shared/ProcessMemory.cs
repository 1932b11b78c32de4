// Shared by the two .NET micro programs (GeventSharpMicro, AsyncBaseline): the process's resident
// set size, the meter every runtime's "blocked" workload uses (Go and gevent read the same file).
internal static class ProcessMemory
{
    /// <summary>
    /// Resident set size in bytes, from the second field of /proc/self/statm, after a full blocking,
    /// compacting collection (so garbage is not counted, as Go's runtime.GC() and gevent's
    /// gc.collect() do before their reading); 0 where /proc is missing.
    /// </summary>
    public static long RssAfterFullCollection()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        return Rss();
    }

    /// <summary>Resident set size in bytes (/proc/self/statm), or 0 where /proc is missing.</summary>
    public static long Rss()
    {
        try
        {
            string[] fields = File.ReadAllText("/proc/self/statm").Split(' ');
            return long.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture) * Environment.SystemPageSize;
        }
        catch (IOException)
        {
            return 0;
        }
    }
}
