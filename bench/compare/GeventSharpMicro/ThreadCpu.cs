using System.Runtime.InteropServices;

namespace GeventSharpMicro;

/// <summary>
/// CPU time used by the calling thread (the hub's), from <c>clock_gettime(CLOCK_THREAD_CPUTIME_ID)</c>:
/// on a machine loaded by other processes it stays close to what the run would take alone, where
/// wall-clock time also counts the waits for a CPU. Null where the call is missing (not Linux).
/// </summary>
internal static partial class ThreadCpu
{
    private const int ClockThreadCpuTimeId = 3;

    public static double? Seconds()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        return ClockGetTime(ClockThreadCpuTimeId, out Timespec ts) == 0 ? ts.Seconds + (ts.Nanoseconds / 1e9) : null;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out Timespec ts);

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
