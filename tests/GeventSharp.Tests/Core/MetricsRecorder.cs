using System.Diagnostics.Metrics;
using Xunit;

namespace GeventSharp.Tests.Core;

/// <summary>One measurement a <see cref="MetricsRecorder"/> saw.</summary>
internal sealed record RecordedMeasurement(string Instrument, double Value, IReadOnlyDictionary<string, object?> Tags)
{
    public object? Tag(string key) => Tags.TryGetValue(key, out object? v) ? v : null;
}

/// <summary>
/// A <see cref="MeterListener"/> on the <c>GeventSharp</c> meters that keeps every measurement,
/// as dotnet-counters or OpenTelemetry would receive them.
/// </summary>
internal sealed class MetricsRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly List<RecordedMeasurement> _measurements = new();

    public MetricsRecorder(Func<Instrument, bool>? enable = null)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == GeventMetrics.MeterName && (enable?.Invoke(instrument) ?? true))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Add(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Add(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Add(i, v, tags));
        _listener.Start();
    }

    /// <summary>Reads the observable instruments now (on the calling thread) and returns everything seen so far.</summary>
    public IReadOnlyList<RecordedMeasurement> Collect()
    {
        _listener.RecordObservableInstruments();
        lock (_measurements)
        {
            return _measurements.ToList();
        }
    }

    /// <summary>Forgets what was seen so far.</summary>
    public void Clear()
    {
        lock (_measurements)
        {
            _measurements.Clear();
        }
    }

    /// <summary>The last value of an observable <paramref name="instrument"/> for the hub of this thread, after a collection.</summary>
    public double HubValue(string instrument)
    {
        int thread = Environment.CurrentManagedThreadId;
        return Assert.Single(Collect().Where(m => m.Instrument == instrument && Equals(m.Tag("thread.id"), thread)).TakeLast(1)).Value;
    }

    /// <summary>Measurements of <paramref name="instrument"/> tagged with <paramref name="port"/> as <c>server.port</c>.</summary>
    public List<RecordedMeasurement> ForPort(string instrument, int port)
        => Collect().Where(m => m.Instrument == instrument && Equals(m.Tag("server.port"), port)).ToList();

    public void Dispose() => _listener.Dispose();

    private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = new Dictionary<string, object?>();
        foreach (KeyValuePair<string, object?> tag in tags)
        {
            copy[tag.Key] = tag.Value;
        }

        lock (_measurements)
        {
            _measurements.Add(new RecordedMeasurement(instrument.Name, value, copy));
        }
    }
}

/// <summary>Tests that listen to the process-wide meter or activity source run alone: other tests' hubs and servers would show up, and a listener would switch other tests' telemetry on.</summary>
[CollectionDefinition(nameof(TelemetryCollection), DisableParallelization = true)]
public sealed class TelemetryCollection;
