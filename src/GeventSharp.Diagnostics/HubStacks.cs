using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Runtime;

namespace GeventSharp.Diagnostics;

/// <summary>
/// Reads the managed stack of another thread of this process — the hub thread a greenlet is
/// blocking — for the hub monitor (<see cref="HubOptions.MonitorStackCapture"/>).
/// </summary>
/// <remarks>
/// <para>.NET has no in-process API for another thread's stack, so this asks the runtime (through
/// its diagnostics channel) for a small dump of the process — threads, stacks and runtime state,
/// not the GC heap: about 10 MB whatever the heap size — reads the hub thread's frames from it
/// with ClrMD, and deletes it. Measured on the 2-core machine of docs/benchmarks.md: about
/// 0.35 s with a 500 MB heap, where a full snapshot (<c>DataTarget.CreateSnapshotAndAttach</c>)
/// takes 1.1 s and writes the whole heap to disk. The cost is paid on the monitor thread, once per
/// blocking episode. Use it while hunting a blocking call, not as an always-on default.</para>
/// <para>It needs the runtime's diagnostics channel (on unless <c>DOTNET_EnableDiagnostics=0</c>)
/// and a writable temporary folder.</para>
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
        string path = Path.Combine(Path.GetTempPath(), $"geventsharp-stack-{Environment.ProcessId}-{Guid.NewGuid():N}.dmp");
        try
        {
            new DiagnosticsClient(Environment.ProcessId).WriteDump(DumpType.Normal, path, logDumpGeneration: false);
            return ReadFrames(path, thread.ManagedThreadId);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static string ReadFrames(string dumpPath, int managedThreadId)
    {
        using DataTarget target = DataTarget.LoadDump(dumpPath);
        if (target.ClrVersions.Length == 0)
        {
            return "(no .NET runtime found in the dump)";
        }

        // The DAC that matches this runtime ships beside it; ClrMD does not download one on Linux.
        string dac = Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), OperatingSystem.IsWindows() ? "mscordaccore.dll" : OperatingSystem.IsMacOS() ? "libmscordaccore.dylib" : "libmscordaccore.so");
        using ClrRuntime runtime = File.Exists(dac)
            ? target.ClrVersions[0].CreateRuntime(dac, ignoreMismatch: true)
            : target.ClrVersions[0].CreateRuntime();
        ClrThread? clrThread = runtime.Threads.FirstOrDefault(t => t.ManagedThreadId == managedThreadId);
        if (clrThread is null)
        {
            return $"(thread {managedThreadId} was not found in the dump)";
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
