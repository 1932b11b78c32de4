using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Diagnostics.Runtime;

namespace GeventSharp.Diagnostics;

/// <summary>
/// Reads the managed stack of another thread of this process — the hub thread a greenlet is
/// blocking — for the hub monitor (<see cref="HubOptions.MonitorStackCapture"/>).
/// </summary>
/// <remarks>
/// <para>.NET has no in-process API for another thread's stack, so this takes a snapshot of the
/// process with ClrMD (on Linux the runtime's <c>createdump</c> writes a temporary core file,
/// about the size of the process's memory, and ClrMD reads it) and walks the hub thread's frames.
/// It costs a few hundred milliseconds on the monitor thread, once per blocking episode; the hub
/// is not paused further. Use it while hunting a blocking call, not as an always-on default.</para>
/// <para>Any failure is reported in place of the stack, never thrown at the hub.</para>
/// </remarks>
/// <example>
/// <code>
/// Gevent.Run(MainAsync, new HubOptions
/// {
///     MonitorThreshold = TimeSpan.FromMilliseconds(100),
///     MonitorStackCapture = HubStacks.Capture,
/// });
/// </code>
/// </example>
public static class HubStacks
{
    /// <summary>The managed frames of <paramref name="thread"/>, innermost first, one per line.</summary>
    /// <param name="thread">A thread of this process (the hub's).</param>
    /// <returns>The frames, or a sentence saying why they could not be read.</returns>
    public static string Capture(Thread thread)
    {
        ArgumentNullException.ThrowIfNull(thread);
        using DataTarget target = DataTarget.CreateSnapshotAndAttach(Environment.ProcessId);
        if (target.ClrVersions.Length == 0)
        {
            return "(no .NET runtime found in the snapshot)";
        }

        // The DAC that matches this runtime ships beside it; ClrMD does not download one on Linux.
        string dac = Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), OperatingSystem.IsWindows() ? "mscordaccore.dll" : OperatingSystem.IsMacOS() ? "libmscordaccore.dylib" : "libmscordaccore.so");
        using ClrRuntime runtime = File.Exists(dac)
            ? target.ClrVersions[0].CreateRuntime(dac, ignoreMismatch: true)
            : target.ClrVersions[0].CreateRuntime();
        ClrThread? clrThread = runtime.Threads.FirstOrDefault(t => t.ManagedThreadId == thread.ManagedThreadId);
        if (clrThread is null)
        {
            return $"(thread {thread.ManagedThreadId} was not found in the snapshot)";
        }

        var sb = new StringBuilder();
        foreach (ClrStackFrame frame in clrThread.EnumerateStackTrace())
        {
            if (frame.Method is { } method)
            {
                sb.Append("   at ").Append(method.Type?.Name).Append('.').Append(method.Name).Append('\n');
            }
        }

        return sb.Length == 0 ? "(no managed frames)" : sb.ToString().TrimEnd('\n');
    }
}
