using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace GeventSharp;

/// <summary>
/// The library's metrics: one <see cref="System.Diagnostics.Metrics.Meter"/> named
/// <see cref="MeterName"/>, read by <c>dotnet-counters</c> and OpenTelemetry without code of yours.
/// </summary>
/// <remarks>
/// <para>Hub instruments (greenlets alive, spawned and failed; switches; ready-queue length; timers;
/// monitor reports; thread-pool queue length) are observable: the hub keeps plain counters, paid
/// whether or not anyone listens, and the instruments read every running hub's counters when a
/// listener collects. Each measurement is tagged <c>thread.id</c> (and <c>thread.name</c>) of its hub.</para>
/// <para>The loop-lag histogram <c>gevent.hub.loop.lag</c> is measured only while a listener has
/// it enabled: a probe posted to each hub from another thread every 100 ms records how long the
/// hub took to get to it.</para>
/// <para>Servers add <c>gevent.server.*</c> (tagged <c>server.address</c>, <c>server.port</c>,
/// <c>network.transport</c>), and the HTTP server OpenTelemetry's <c>http.server.*</c>
/// instruments. The full table is in <c>docs/metrics.md</c>.</para>
/// </remarks>
/// <example>
/// <code>
/// // dotnet-counters monitor -n MyApp --counters GeventSharp
/// // OpenTelemetry: builder.WithMetrics(m =&gt; m.AddMeter(GeventMetrics.MeterName));
/// using var listener = new MeterListener();
/// listener.InstrumentPublished = (instrument, l) =&gt;
/// {
///     if (instrument.Meter.Name == GeventMetrics.MeterName) l.EnableMeasurementEvents(instrument);
/// };
/// </code>
/// </example>
public static class GeventMetrics
{
    /// <summary>The name of the library's meter: <c>GeventSharp</c>.</summary>
    public const string MeterName = "GeventSharp";

    private static readonly List<Hub> s_hubs = new();
    private static Timer? s_probeTimer;

    /// <summary>The meter of the core library's instruments (the HTTP package creates its own meter of the same name).</summary>
    internal static readonly Meter Meter = new(MeterName, typeof(GeventMetrics).Assembly.GetName().Version?.ToString());

    internal static readonly Histogram<double> LoopLag = Meter.CreateHistogram(
        "gevent.hub.loop.lag", "s", "How long work posted to a hub waited before the hub ran it (sampled every 100 ms while enabled).",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });

    static GeventMetrics()
    {
        Meter.CreateObservableUpDownCounter("gevent.greenlets.alive", () => Observe(h => h.LiveCount), "{greenlet}", "Greenlets created and not dead yet.");
        Meter.CreateObservableCounter("gevent.greenlets.spawned", () => Observe(h => h.SpawnedCount), "{greenlet}", "Greenlets created on the hub.");
        Meter.CreateObservableCounter("gevent.greenlets.failed", () => Observe(h => h.FailedCount), "{greenlet}", "Greenlets that died of an exception (GreenletExit and the hub's NotErrors excluded).");
        Meter.CreateObservableCounter("gevent.hub.switches", () => Observe(h => h.SwitchCount), "{switch}", "Greenlet steps and callbacks the hub ran: each is one switch.");
        Meter.CreateObservableUpDownCounter("gevent.hub.ready_queue.length", () => Observe(h => h.ReadyCount), "{item}", "Items waiting in the hub's ready queue.");
        Meter.CreateObservableUpDownCounter("gevent.hub.timers", () => Observe(h => h.PendingTimerCount), "{timer}", "Pending timers (sleeps, timeouts) of the hub.");
        Meter.CreateObservableCounter("gevent.hub.monitor.reports", () => Observe(h => h.MonitorReportCount), "{report}", "Reports of the hub monitor (a greenlet held the hub past the threshold).");
        Meter.CreateObservableUpDownCounter("gevent.threadpool.queue.length", () => Observe(h => h.ThreadPoolQueueLength), "{call}", "Calls waiting for a worker of the hub's thread pool.");
    }

    /// <summary>Adds a hub that starts running; measured until <see cref="Unregister"/>.</summary>
    internal static void Register(Hub hub)
    {
        lock (s_hubs)
        {
            s_hubs.Add(hub);
            if (s_probeTimer is null)
            {
                // Once per process, never disposed (a timer does not keep the process alive). While
                // nobody listens to the lag it only reads one flag a second. Created without the
                // caller's execution context, which it would otherwise keep alive for good.
                using (ExecutionContext.SuppressFlow())
                {
                    s_probeTimer = new Timer(static _ => ProbeTick(), null, ProbeIdlePeriod, ProbeIdlePeriod);
                }
            }
        }
    }

    /// <summary>Removes a hub that finished.</summary>
    internal static void Unregister(Hub hub)
    {
        lock (s_hubs)
        {
            s_hubs.Remove(hub);
        }
    }

    /// <summary>How often each hub gets a loop-lag probe while the histogram is enabled.</summary>
    internal static readonly TimeSpan ProbePeriod = TimeSpan.FromMilliseconds(100);

    private static readonly TimeSpan ProbeIdlePeriod = TimeSpan.FromSeconds(1);

    private static bool s_probing;

    /// <summary>Posts a lag probe to every running hub now (the timer does it every <see cref="ProbePeriod"/>; tests call it).</summary>
    internal static void ProbeLoopLag()
    {
        lock (s_hubs)
        {
            foreach (Hub hub in s_hubs)
            {
                hub.MetricsState.PostProbe();
            }
        }
    }

    private static void ProbeTick()
    {
        bool enabled = LoopLag.Enabled;
        if (enabled != s_probing)
        {
            s_probing = enabled;
            TimeSpan period = enabled ? ProbePeriod : ProbeIdlePeriod;
            s_probeTimer?.Change(period, period);
        }

        if (enabled)
        {
            ProbeLoopLag();
        }
    }

    /// <summary>One measurement per running hub, tagged with the hub's thread.</summary>
    private static Measurement<long>[] Observe(Func<Hub, long> read) => Observe(s_hubs, read, static h => h.MetricsState.Tags);

    /// <summary>One measurement per item of <paramref name="items"/> (a registry, locked while it is read).</summary>
    internal static Measurement<long>[] Observe<T>(List<T> items, Func<T, long> read, Func<T, KeyValuePair<string, object?>[]> tags)
    {
        lock (items)
        {
            var measurements = new Measurement<long>[items.Count];
            for (int i = 0; i < measurements.Length; i++)
            {
                measurements[i] = new Measurement<long>(read(items[i]), tags(items[i]));
            }

            return measurements;
        }
    }
}
