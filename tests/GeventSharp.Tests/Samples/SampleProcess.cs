using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Xunit;

namespace GeventSharp.Tests.Samples;

/// <summary>
/// A built sample (its own dll from the test's output folder) run as a real process: started,
/// waited for until it prints its ready line, signalled, and its output kept for assertions.
/// </summary>
internal sealed class SampleProcess : IDisposable
{
    private readonly ConcurrentQueue<string> _out = new();
    private readonly StringBuilder _err = new();
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Seen)> _waiters = new();

    private SampleProcess(Process process) => Process = process;

    public Process Process { get; }

    /// <summary>What the process wrote to standard error so far.</summary>
    public string StandardError
    {
        get
        {
            lock (_err)
            {
                return _err.ToString();
            }
        }
    }

    /// <summary>What it wrote to standard output so far, line by line.</summary>
    public string StandardOutput => string.Join("\n", _out);

    /// <summary>Starts <paramref name="dll"/> with <paramref name="args"/> and waits (30 s at most) for a line starting with <paramref name="ready"/>.</summary>
    public static async Task<(SampleProcess Process, string ReadyLine)> StartAsync(string dll, IEnumerable<string> args, string ready)
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, dll), .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory, // a hosted sample finds its appsettings.json here
        };
        var sample = new SampleProcess(Process.Start(start)!);
        Task<string> readyLine = sample.WaitForLineAsync(line => line.StartsWith(ready, StringComparison.Ordinal));
        sample.Process.OutputDataReceived += (_, e) => sample.OnLine(e.Data);
        sample.Process.ErrorDataReceived += (_, e) =>
        {
            lock (sample._err)
            {
                sample._err.AppendLine(e.Data);
            }
        };
        sample.Process.BeginOutputReadLine();
        sample.Process.BeginErrorReadLine();
        if (await Task.WhenAny(readyLine, sample.Process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(30))) != readyLine)
        {
            sample.Dispose();
            Assert.Fail($"{dll} did not start: {sample.StandardOutput} {sample.StandardError}");
        }

        return (sample, await readyLine);
    }

    /// <summary>Completes with the first line (from now on, or already written) that matches.</summary>
    public Task<string> WaitForLineAsync(Func<string, bool> match)
    {
        var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_waiters)
        {
            if (_out.FirstOrDefault(match) is { } line)
            {
                seen.SetResult(line);
            }
            else
            {
                _waiters.Add((match, seen));
            }
        }

        return seen.Task;
    }

    /// <summary>Sends a real signal with kill(1).</summary>
    public async Task SignalAsync(string signal = "TERM")
    {
        using Process kill = Process.Start("kill", [$"-{signal}", Process.Id.ToString()])!;
        await kill.WaitForExitAsync();
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>Waits (30 s at most) for the process to end; its exit code.</summary>
    public async Task<int> ExitCodeAsync()
    {
        await Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Process.WaitForExit(); // drains the redirected output
        return Process.ExitCode;
    }

    public void Dispose()
    {
        if (!Process.HasExited)
        {
            Process.Kill();
        }

        Process.Dispose();
    }

    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>True when a connection to <paramref name="port"/> is refused (nothing listens any more).</summary>
    public static async Task<bool> IsRefusedAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port).WaitAsync(TimeSpan.FromSeconds(10));
            return false;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return true;
        }
    }

    /// <summary>Reads from <paramref name="stream"/> until <paramref name="text"/> has arrived (30 s at most); everything read.</summary>
    public static async Task<string> ReadUntilAsync(Stream stream, string text, StringBuilder? seen = null)
    {
        seen ??= new StringBuilder();
        var buffer = new byte[4096];
        while (!seen.ToString().Contains(text, StringComparison.Ordinal))
        {
            int n = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            if (n == 0)
            {
                break;
            }

            seen.Append(Encoding.Latin1.GetString(buffer, 0, n));
        }

        return seen.ToString();
    }

    /// <summary>Reads until the peer closes (30 s at most), a reset counting as a close; everything read.</summary>
    public static async Task<string> ReadToEndAsync(Stream stream, StringBuilder? seen = null)
    {
        seen ??= new StringBuilder();
        var buffer = new byte[4096];
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(30))) > 0)
            {
                seen.Append(Encoding.Latin1.GetString(buffer, 0, n));
            }
        }
        catch (IOException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionReset })
        {
            // closed with a reset: as final as a FIN for these tests
        }

        return seen.ToString();
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_waiters)
        {
            _out.Enqueue(line);
            foreach (var waiter in _waiters.Where(w => w.Match(line)).ToList())
            {
                waiter.Seen.TrySetResult(line);
                _waiters.Remove(waiter);
            }
        }
    }
}
