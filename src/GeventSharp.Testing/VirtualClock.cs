namespace GeventSharp.Testing;

/// <summary>
/// A clock that only moves when told to — or, under a hub, by itself: whenever no greenlet is
/// runnable and no posted work is waiting, the hub jumps it to the next timer (autojump). A test
/// of <c>Timeout(2)</c> then takes microseconds and measures exactly two seconds.
/// </summary>
/// <remarks>
/// <para>Autojump follows Trio's <c>autojump_clock</c> with a threshold of zero: time jumps even
/// while foreign work (a <c>Task.Run</c>, real I/O) is in flight, so combine the virtual clock with
/// timers or with foreign work, not both in one race.</para>
/// <para>Only the hub's own timers follow this clock. <see cref="TimeProvider.CreateTimer"/> is not
/// virtualised; use <c>Gevent.Sleep</c>, not <c>Task.Delay</c>, in code under test.</para>
/// </remarks>
/// <example>
/// <code>
/// var clock = new VirtualClock();
/// Gevent.Run(async () =&gt; await Gevent.Sleep(2), new HubOptions { TimeProvider = clock });
/// Assert.Equal(TimeSpan.FromSeconds(2), clock.Elapsed);
/// </code>
/// </example>
public sealed class VirtualClock : TimeProvider, IAutoJumpClock
{
    private readonly DateTimeOffset _start;
    private long _now;

    /// <summary>Creates a clock at 2000-01-01T00:00:00Z.</summary>
    public VirtualClock()
        : this(new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero))
    {
    }

    /// <summary>Creates a clock whose wall time starts at <paramref name="start"/>.</summary>
    public VirtualClock(DateTimeOffset start) => _start = start;

    /// <summary>Time elapsed since the clock was created.</summary>
    public TimeSpan Elapsed => TimeSpan.FromTicks(Interlocked.Read(ref _now));

    /// <summary>How many times the hub jumped the clock forward.</summary>
    public int Jumps { get; private set; }

    /// <inheritdoc/>
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <inheritdoc/>
    public override long GetTimestamp() => Interlocked.Read(ref _now);

    /// <inheritdoc/>
    public override DateTimeOffset GetUtcNow() => _start + Elapsed;

    /// <summary>Moves the clock forward by <paramref name="delta"/>.</summary>
    public void Advance(TimeSpan delta)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delta, TimeSpan.Zero);
        Interlocked.Add(ref _now, delta.Ticks);
    }

    void IAutoJumpClock.JumpTo(long timestamp)
    {
        if (timestamp > Interlocked.Read(ref _now))
        {
            Interlocked.Exchange(ref _now, timestamp);
            Jumps++;
        }
    }
}
