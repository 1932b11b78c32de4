using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;

namespace GeventSharp;

/// <summary>
/// The entry points gevent users know: <c>Run</c>, <c>Spawn</c>, <c>Sleep</c>, <c>JoinAllAsync</c>,
/// <c>KillAll</c>, <c>WaitAsync</c>, <c>WithTimeoutAsync</c>.
/// </summary>
/// <example>
/// The seed's first program: prints 12, 56, 34, 78.
/// <code>
/// Gevent.Run(async () =&gt;
/// {
///     await Gevent.JoinAllAsync(new[]
///     {
///         Gevent.Spawn(async () =&gt; { Console.WriteLine(12); await Gevent.Sleep(0); Console.WriteLine(34); }),
///         Gevent.Spawn(async () =&gt; { Console.WriteLine(56); await Gevent.Sleep(0); Console.WriteLine(78); }),
///     });
/// });
/// </code>
/// </example>
public static partial class Gevent
{
    /// <summary>
    /// Makes the calling thread a hub and runs <paramref name="main"/> as the main greenlet until it
    /// finishes; returns then, or rethrows main's exception with its original stack.
    /// </summary>
    /// <remarks>
    /// Greenlets still alive when main finishes are killed (their <c>finally</c> blocks run) before
    /// <c>Run</c> returns; ones stuck in a foreign await that ignores their token are abandoned.
    /// </remarks>
    public static void Run(Func<Task> main, HubOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(main);
        Greenlet g = Hub.RunMain(hub => new Greenlet(main), options);
        RethrowIfFailed(g);
    }

    /// <summary>Runs <paramref name="main"/> as the main greenlet of a new hub and returns its result.</summary>
    public static T Run<T>(Func<Task<T>> main, HubOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(main);
        var g = (Greenlet<T>)Hub.RunMain(hub => new Greenlet<T>(main), options);
        RethrowIfFailed(g);
        return g.Value!;
    }

    /// <summary>Runs the synchronous <paramref name="main"/> as the main greenlet of a new hub.</summary>
    public static void Run(Action main, HubOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(main);
        Greenlet g = Hub.RunMain(hub => new Greenlet(main), options);
        RethrowIfFailed(g);
    }

    private static void RethrowIfFailed(Greenlet g)
    {
        if (g.Exception is { } e)
        {
            ExceptionDispatchInfo.Capture(e).Throw();
        }
    }

    // ---- spawn ----

    /// <summary>Creates a greenlet for <paramref name="function"/> and schedules it; it starts when the caller yields.</summary>
    [OverloadResolutionPriority(1)] // an async lambda fits Func<Task> and Func<ValueTask>: Task wins
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static Greenlet Spawn(Func<Task> function) => Started(new Greenlet(function));

    /// <summary>
    /// Spawns a function returning a <see cref="ValueTask"/>, e.g. a single library wait
    /// (<c>() =&gt; evt.WaitAsync()</c>), which then needs no async state machine at all.
    /// </summary>
    /// <remarks>
    /// An <c>async</c> lambda fits both this and <see cref="Spawn(Func{Task})"/>, which wins; to
    /// compile an async lambda as a <see cref="ValueTask"/> state machine, give its return type:
    /// <c>Gevent.Spawn(async ValueTask () =&gt; { ... })</c>.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static Greenlet Spawn(Func<ValueTask> function) => Started(new Greenlet(function));

    /// <summary>Spawns a synchronous function.</summary>
    /// <remarks>
    /// A synchronous body runs under a synchronization context its hub shares among such greenlets
    /// (it never suspends, so it needs none of its own). An async call it starts and does not wait
    /// for still resumes on the hub: each continuation posted to that context runs in a new greenlet
    /// of its own (docs/architecture.md, "Foreign awaits").
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static Greenlet Spawn(Action function) => Started(new Greenlet(function));

    /// <summary>Spawns an async function with a result.</summary>
    [OverloadResolutionPriority(1)]
    public static Greenlet<T> Spawn<T>(Func<Task<T>> function) => Started(new Greenlet<T>(function));

    /// <summary>
    /// Spawns a function returning a <see cref="ValueTask{T}"/> (<c>() =&gt; gate.JoinAsync()</c>);
    /// see <see cref="Spawn(Func{ValueTask})"/>.
    /// </summary>
    public static Greenlet<T> Spawn<T>(Func<ValueTask<T>> function) => Started(new Greenlet<T>(function));

    /// <summary>Spawns a synchronous function with a result.</summary>
    public static Greenlet<T> Spawn<T>(Func<T> function) => Started(new Greenlet<T>(function));

    /// <summary>Spawns <paramref name="function"/>(<paramref name="arg"/>).</summary>
    public static Greenlet Spawn<TArg>(Func<TArg, Task> function, TArg arg)
    {
        ArgumentNullException.ThrowIfNull(function);
        return Named(Spawn(() => function(arg)), function);
    }

    /// <summary>Spawns <paramref name="function"/>(<paramref name="arg"/>).</summary>
    public static Greenlet Spawn<TArg>(Action<TArg> function, TArg arg)
    {
        ArgumentNullException.ThrowIfNull(function);
        return Named(Spawn(() => function(arg)), function);
    }

    /// <summary>Spawns <paramref name="function"/>(<paramref name="arg"/>) with a result.</summary>
    public static Greenlet<T> Spawn<TArg, T>(Func<TArg, Task<T>> function, TArg arg)
    {
        ArgumentNullException.ThrowIfNull(function);
        return Named(Spawn(() => function(arg)), function);
    }

    /// <summary>Spawns <paramref name="function"/>(<paramref name="arg"/>) with a result.</summary>
    public static Greenlet<T> Spawn<TArg, T>(Func<TArg, T> function, TArg arg)
    {
        ArgumentNullException.ThrowIfNull(function);
        return Named(Spawn(() => function(arg)), function);
    }

    /// <summary>Spawns <paramref name="function"/>(<paramref name="arg1"/>, <paramref name="arg2"/>).</summary>
    public static Greenlet Spawn<TArg1, TArg2>(Func<TArg1, TArg2, Task> function, TArg1 arg1, TArg2 arg2)
    {
        ArgumentNullException.ThrowIfNull(function);
        return Named(Spawn(() => function(arg1, arg2)), function);
    }

    /// <summary>Spawns <paramref name="function"/>(<paramref name="arg1"/>, <paramref name="arg2"/>) with a result.</summary>
    public static Greenlet<T> Spawn<TArg1, TArg2, T>(Func<TArg1, TArg2, Task<T>> function, TArg1 arg1, TArg2 arg2)
    {
        ArgumentNullException.ThrowIfNull(function);
        return Named(Spawn(() => function(arg1, arg2)), function);
    }

    /// <summary>Spawns the synchronous <paramref name="function"/>(<paramref name="arg1"/>, <paramref name="arg2"/>).</summary>
    public static Greenlet Spawn<TArg1, TArg2>(Action<TArg1, TArg2> function, TArg1 arg1, TArg2 arg2)
    {
        ArgumentNullException.ThrowIfNull(function);
        return Named(Spawn(() => function(arg1, arg2)), function);
    }

    /// <summary>Spawns the synchronous <paramref name="function"/>(<paramref name="arg1"/>, <paramref name="arg2"/>) with a result.</summary>
    public static Greenlet<T> Spawn<TArg1, TArg2, T>(Func<TArg1, TArg2, T> function, TArg1 arg1, TArg2 arg2)
    {
        ArgumentNullException.ThrowIfNull(function);
        return Named(Spawn(() => function(arg1, arg2)), function);
    }

    /// <summary>Creates a greenlet that starts after <paramref name="seconds"/> (gevent's <c>spawn_later</c>).</summary>
    /// <example><code>Greenlet reminder = Gevent.SpawnLater(5, async () =&gt; await NotifyAsync());</code></example>
    [OverloadResolutionPriority(1)]
    public static Greenlet SpawnLater(double seconds, Func<Task> function) => SpawnLater(SecondsToTimeSpan(seconds, nameof(seconds)), function);

    /// <summary>Creates a greenlet that starts after <paramref name="delay"/>.</summary>
    [OverloadResolutionPriority(1)]
    public static Greenlet SpawnLater(TimeSpan delay, Func<Task> function) => StartedLater(new Greenlet(function), delay);

    /// <summary>Creates a greenlet that runs the synchronous <paramref name="function"/> after <paramref name="seconds"/>.</summary>
    public static Greenlet SpawnLater(double seconds, Action function) => SpawnLater(SecondsToTimeSpan(seconds, nameof(seconds)), function);

    /// <summary>Creates a greenlet that runs the synchronous <paramref name="function"/> after <paramref name="delay"/>.</summary>
    public static Greenlet SpawnLater(TimeSpan delay, Action function) => StartedLater(new Greenlet(function), delay);

    /// <summary>Creates a greenlet with a result that starts after <paramref name="seconds"/>.</summary>
    [OverloadResolutionPriority(1)]
    public static Greenlet<T> SpawnLater<T>(double seconds, Func<Task<T>> function) => SpawnLater(SecondsToTimeSpan(seconds, nameof(seconds)), function);

    /// <summary>Creates a greenlet with a result that starts after <paramref name="delay"/>.</summary>
    [OverloadResolutionPriority(1)]
    public static Greenlet<T> SpawnLater<T>(TimeSpan delay, Func<Task<T>> function) => StartedLater(new Greenlet<T>(function), delay);

    /// <summary>Creates a greenlet that runs the synchronous <paramref name="function"/> after <paramref name="seconds"/> and keeps its result.</summary>
    public static Greenlet<T> SpawnLater<T>(double seconds, Func<T> function) => SpawnLater(SecondsToTimeSpan(seconds, nameof(seconds)), function);

    /// <summary>Creates a greenlet that runs the synchronous <paramref name="function"/> after <paramref name="delay"/> and keeps its result.</summary>
    public static Greenlet<T> SpawnLater<T>(TimeSpan delay, Func<T> function) => StartedLater(new Greenlet<T>(function), delay);

    /// <summary>
    /// Creates a greenlet that runs <paramref name="function"/>(<paramref name="arg"/>) after
    /// <paramref name="seconds"/> (gevent's <c>spawn_later(seconds, f, arg)</c>); it is named after the function.
    /// </summary>
    /// <example><code>Greenlet reminder = Gevent.SpawnLater(5, NotifyAsync, "ann");</code></example>
    public static Greenlet SpawnLater<TArg>(double seconds, Func<TArg, Task> function, TArg arg)
        => SpawnLater(SecondsToTimeSpan(seconds, nameof(seconds)), function, arg);

    /// <summary>Creates a greenlet that runs <paramref name="function"/>(<paramref name="arg"/>) after <paramref name="delay"/>.</summary>
    public static Greenlet SpawnLater<TArg>(TimeSpan delay, Func<TArg, Task> function, TArg arg)
    {
        ArgumentNullException.ThrowIfNull(function);
        return Named(StartedLater(new Greenlet(() => function(arg)), delay), function);
    }

    /// <summary>Creates a greenlet that runs the synchronous <paramref name="function"/>(<paramref name="arg"/>) after <paramref name="seconds"/>.</summary>
    public static Greenlet SpawnLater<TArg>(double seconds, Action<TArg> function, TArg arg)
        => SpawnLater(SecondsToTimeSpan(seconds, nameof(seconds)), function, arg);

    /// <summary>Creates a greenlet that runs the synchronous <paramref name="function"/>(<paramref name="arg"/>) after <paramref name="delay"/>.</summary>
    public static Greenlet SpawnLater<TArg>(TimeSpan delay, Action<TArg> function, TArg arg)
    {
        ArgumentNullException.ThrowIfNull(function);
        return Named(StartedLater(new Greenlet(() => function(arg)), delay), function);
    }

    /// <summary>Creates a greenlet with a result that runs <paramref name="function"/>(<paramref name="arg"/>) after <paramref name="seconds"/>.</summary>
    public static Greenlet<T> SpawnLater<TArg, T>(double seconds, Func<TArg, Task<T>> function, TArg arg)
        => SpawnLater(SecondsToTimeSpan(seconds, nameof(seconds)), function, arg);

    /// <summary>Creates a greenlet with a result that runs <paramref name="function"/>(<paramref name="arg"/>) after <paramref name="delay"/>.</summary>
    public static Greenlet<T> SpawnLater<TArg, T>(TimeSpan delay, Func<TArg, Task<T>> function, TArg arg)
    {
        ArgumentNullException.ThrowIfNull(function);
        return Named(StartedLater(new Greenlet<T>(() => function(arg)), delay), function);
    }

    private static TG StartedLater<TG>(TG g, TimeSpan delay)
        where TG : Greenlet
    {
        g.StartLater(delay);
        return g;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static TG Started<TG>(TG g)
        where TG : Greenlet
    {
        g.Start();
        return g;
    }

    private static TG Named<TG>(TG g, Delegate function)
        where TG : Greenlet
    {
        g.NameAfter(function); // worked out when the name is first read
        return g;
    }

    // ---- sleep ----

    /// <summary>
    /// Suspends the current greenlet for <paramref name="seconds"/>. <c>Sleep(0)</c> yields: the
    /// greenlet goes to the back of the ready queue and everything ready before it runs first.
    /// </summary>
    /// <exception cref="InvalidOperationException">Not called from a greenlet.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static ValueTask Sleep(double seconds)
    {
        Greenlet g = Hub.CurrentGreenletOrThrow("Gevent.Sleep");
        if (seconds <= 0)
        {
            if (double.IsNaN(seconds))
            {
                ThrowNaN(seconds);
            }

            return g.Yield();
        }

        return SleepCore(g, g.Hub.ToTicks(SecondsToTimeSpan(seconds, nameof(seconds))));
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowNaN(double seconds)
        => throw new ArgumentOutOfRangeException(nameof(seconds), seconds, "Seconds must be a number.");

    /// <summary>
    /// Yields: the current greenlet goes to the back of the ready queue and everything ready before
    /// it runs first — <c>await Gevent.Sleep(0)</c>, through a struct awaiter (the fastest switch).
    /// </summary>
    /// <exception cref="InvalidOperationException">Not called from a greenlet.</exception>
    /// <example><code>await Gevent.Yield();</code></example>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static YieldAwaitable Yield() => Hub.CurrentGreenletOrThrow("Gevent.Yield").YieldDirect();

    /// <summary>Suspends the current greenlet for <paramref name="duration"/>; see <see cref="Sleep(double)"/>.</summary>
    public static ValueTask Sleep(TimeSpan duration)
    {
        Greenlet g = Hub.CurrentGreenletOrThrow("Gevent.Sleep");
        return duration <= TimeSpan.Zero ? g.Yield() : SleepCore(g, g.Hub.ToTicks(duration));
    }

    [MethodImpl(MethodImplOptions.NoInlining)] // kept out of Sleep(0)'s frame, the switch path
    private static ValueTask SleepCore(Greenlet g, long ticks) => g.SuspendVoid("Sleep", null, ticks);

    /// <summary>Waits until the hub has nothing else to run (gevent's <c>idle()</c>).</summary>
    public static ValueTask IdleAsync()
    {
        Greenlet g = Hub.CurrentGreenletOrThrow("Gevent.IdleAsync");
        return g.SuspendVoid("Idle", g.Hub.IdleWaiters, -1);
    }

    internal static TimeSpan SecondsToTimeSpan(double seconds, string paramName)
    {
        if (double.IsNaN(seconds) || seconds < 0)
        {
            throw new ArgumentOutOfRangeException(paramName, seconds, "Seconds must be zero or positive.");
        }

        return seconds >= TimeSpan.MaxValue.TotalSeconds ? TimeSpan.MaxValue : TimeSpan.FromSeconds(seconds);
    }

    internal static TimeSpan? SecondsToTimeSpan(double? seconds, string paramName)
        => seconds is { } s ? SecondsToTimeSpan(s, paramName) : null;
}
