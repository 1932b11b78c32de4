using System.Buffers.Text;
using Microsoft.Win32.SafeHandles;

namespace GeventSharp;

/// <summary>
/// The hub thread's scheduler statistics (Linux: <c>/proc/self/task/TID/schedstat</c>), read by
/// the <see cref="HubMonitor"/> at every sample: the file is opened once and each read is one
/// <c>pread</c> into a stack buffer, with no allocation (opening it each time cost an open, a lock
/// and a close per sample, on the CPU the monitored hub shares).
/// </summary>
/// <remarks>Read on the monitor thread, disposed on the hub thread when the hub closes: a lock keeps a read off a closed handle.</remarks>
internal sealed class HubSchedstat : IDisposable
{
    private readonly SafeFileHandle _file;
    private readonly System.Threading.Lock _lock = new();

    private HubSchedstat(SafeFileHandle file) => _file = file;

    /// <summary>Opens the statistics of thread <paramref name="osThreadId"/> of this process, or null where there are none to read.</summary>
    public static HubSchedstat? TryOpen(int osThreadId)
    {
        try
        {
            var stats = new HubSchedstat(File.OpenHandle($"/proc/self/task/{osThreadId}/schedstat"));
            return stats.TryRead(out _, out _) ? stats : Discard(stats);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
        catch (NotSupportedException)
        {
            return null; // not a seekable file: no /proc here
        }

        static HubSchedstat? Discard(HubSchedstat stats)
        {
            stats.Dispose();
            return null;
        }
    }

    /// <summary>The thread's time on a CPU and waiting on a run queue, in nanoseconds; false if they could not be read.</summary>
    public bool TryRead(out long onCpuNanoseconds, out long runQueueNanoseconds)
    {
        Span<byte> text = stackalloc byte[128];
        int length;
        lock (_lock)
        {
            if (_file.IsClosed)
            {
                onCpuNanoseconds = runQueueNanoseconds = 0;
                return false;
            }

            try
            {
                length = RandomAccess.Read(_file, text, fileOffset: 0);
            }
            catch (IOException)
            {
                length = 0; // the thread has exited
            }
        }

        return TryParse(text[..length], out onCpuNanoseconds, out runQueueNanoseconds);
    }

    /// <summary>Parses "<c>&lt;ns on cpu&gt; &lt;ns waiting on a run queue&gt; &lt;timeslices&gt;</c>".</summary>
    internal static bool TryParse(ReadOnlySpan<byte> text, out long onCpuNanoseconds, out long runQueueNanoseconds)
    {
        runQueueNanoseconds = 0;
        return Utf8Parser.TryParse(text, out onCpuNanoseconds, out int used)
            && used < text.Length && text[used] == (byte)' '
            && Utf8Parser.TryParse(text[(used + 1)..], out runQueueNanoseconds, out _);
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _file.Dispose();
        }
    }
}
