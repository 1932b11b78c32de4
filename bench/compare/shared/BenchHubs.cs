// Shared by the GeventSharp bench servers (geventsharp/ echo, geventsharp-http/): runs one hub per
// thread, each serving with its own listener on the same port (SO_REUSEPORT), until SIGTERM or
// SIGINT; with the monitor on, counts the blocked-hub reports and prints the count on exit.
using GeventSharp;

internal static class BenchHubs
{
    /// <summary>
    /// Runs <paramref name="hubs"/> hubs; <paramref name="serve"/>(index, registerStop) starts the
    /// hub's server, registers how to stop it (called on the hub) and returns when it has stopped.
    /// </summary>
    public static int Run(int hubs, bool monitor, PollerKind poller, Func<int, Action<Func<Task>>, Task> serve)
    {
        int blockedReports = 0;
        var stops = new List<Action>();
        void StopAll()
        {
            lock (stops)
            {
                stops.ForEach(stop => stop());
            }
        }

        using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; StopAll(); });
        using var intr = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, ctx => { ctx.Cancel = true; StopAll(); });
        var threads = Enumerable.Range(0, hubs).Select(index => new Thread(() =>
        {
            var options = new HubOptions
            {
                Poller = poller,
                MonitorThreshold = monitor ? TimeSpan.FromMilliseconds(100) : null,
                ErrorHandler = (g, e) =>
                {
                    if (e is HubBlockedException)
                    {
                        Interlocked.Increment(ref blockedReports);
                    }

                    Hub.DefaultErrorHandler(g, e);
                },
            };
            Gevent.Run(
                () =>
                {
                    Hub hub = Hub.Current!;
                    return serve(index, stop =>
                    {
                        lock (stops)
                        {
                            stops.Add(() => hub.Post(() => Gevent.Spawn(stop)));
                        }
                    });
                },
                options);
        }) { Name = $"hub {index}" }).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        if (monitor)
        {
            Console.Error.WriteLine($"monitor: {blockedReports} blocked-hub report(s)");
        }

        return 0;
    }
}
