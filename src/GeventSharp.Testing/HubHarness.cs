namespace GeventSharp.Testing;

/// <summary>
/// Runs greenlet code on a hub driven by a <see cref="VirtualClock"/>, collecting failures
/// instead of printing them, for fast, exact, deterministic tests.
/// </summary>
/// <example>
/// <code>
/// var h = new HubHarness();
/// h.Run(async () =&gt;
/// {
///     using (Timeout.StartNew(2)) { await Gevent.Sleep(10); }
/// });                                            // throws Timeout
/// Assert.Equal(TimeSpan.FromSeconds(2), h.Elapsed);
/// </code>
/// </example>
public sealed class HubHarness
{
    private readonly List<(Greenlet? Greenlet, Exception Exception)> _errors = new();

    /// <summary>Creates a harness with a fresh <see cref="VirtualClock"/>.</summary>
    public HubHarness()
        : this(new VirtualClock())
    {
    }

    /// <summary>Creates a harness on <paramref name="clock"/>.</summary>
    public HubHarness(VirtualClock clock) => Clock = clock;

    /// <summary>The virtual clock the hub runs on.</summary>
    public VirtualClock Clock { get; }

    /// <summary>Virtual time elapsed since the harness was created.</summary>
    public TimeSpan Elapsed => Clock.Elapsed;

    /// <summary>Failures the hub reported (greenlets that died with an error), in order.</summary>
    public IReadOnlyList<(Greenlet? Greenlet, Exception Exception)> Errors => _errors;

    /// <summary>
    /// The options the harness runs hubs with: the virtual clock, failures collected in
    /// <see cref="Errors"/>, and no hub monitor. The monitor watches real time, which a
    /// virtual-time test does not control (a slow turn on a busy machine — a JIT compile, a debugger
    /// pause — would then count as a failure of a deterministic test); a test of the monitor sets
    /// <see cref="HubOptions.MonitorThreshold"/> itself.
    /// </summary>
    public HubOptions Options => new()
    {
        TimeProvider = Clock,
        ErrorHandler = (g, e) =>
        {
            lock (_errors)
            {
                _errors.Add((g, e));
            }
        },
        MonitorThreshold = null,
    };

    /// <summary>Runs <paramref name="main"/> as the main greenlet of a virtual-time hub.</summary>
    public void Run(Func<Task> main) => Gevent.Run(main, Options);

    /// <summary>Runs <paramref name="main"/> as the main greenlet of a virtual-time hub and returns its result.</summary>
    public T Run<T>(Func<Task<T>> main) => Gevent.Run(main, Options);
}
