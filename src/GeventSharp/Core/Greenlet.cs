using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;

namespace GeventSharp;

/// <summary>
/// A lightweight cooperative thread of execution on a <see cref="Hub"/>: an async (or plain)
/// function that the hub runs until it waits, then resumes when what it waits on is ready.
/// </summary>
/// <remarks>
/// <para>Only the hub thread runs greenlet code, so greenlets of one hub need no locks between
/// them. A greenlet yields only where it awaits; one that never awaits runs to completion.</para>
/// <para>A new greenlet starts only when its spawner yields; the ready queue is FIFO.</para>
/// <para>An exception escaping a greenlet is stored (see <see cref="Exception"/>), reported
/// through the hub's error handler when the greenlet dies, and rethrown by
/// <see cref="GetAsync(TimeSpan?, CancellationToken)"/> (or by awaiting a <see cref="Greenlet{T}"/>); it never escapes the hub.</para>
/// <para>Only <see cref="Greenlet{T}"/> is awaitable (it yields the result, like <see cref="Task{T}"/>): a
/// greenlet without a result is usually spawned and forgotten, and an awaitable return value would make
/// every such call a CS4014 warning. Wait for one with <see cref="JoinAsync(TimeSpan?, CancellationToken)"/>
/// or <see cref="GetAsync(TimeSpan?, CancellationToken)"/>.</para>
/// <para>Await every library wait at once and one at a time: a greenlet waits on one thing at a
/// time (use <see cref="Gevent.JoinAllAsync(IEnumerable{Greenlet}, TimeSpan?, bool, int?)"/> or <see cref="Gevent.WaitAsync{T}(IEnumerable{T}, TimeSpan?, int?)"/> for several).</para>
/// </remarks>
/// <example>
/// <code>
/// Gevent.Run(async () =&gt;
/// {
///     Greenlet&lt;int&gt; g = Gevent.Spawn(async () =&gt; { await Gevent.Sleep(1); return 42; });
///     Console.WriteLine(await g); // 42, after one second
/// });
/// </code>
/// </example>
[DebuggerDisplay("{ToString(),nq} {StateText,nq}")]
public partial class Greenlet : Waitable
{
    private static long s_nextId;

    private readonly Hub _homeHub;
    private readonly long _id;
    private object? _body; // the function; or a NamedBody once the greenlet is named or its spawner recorded
    // The pending body: a Task (a Task<T> for Greenlet<T>), or the source of a pending ValueTask
    // body (an IValueTaskSource, or an IValueTaskSource<T> for Greenlet<T>, whose bodies are always
    // typed; _pendingSourceToken is its token), so no greenlet carries a 16-byte ValueTask field.
    private protected object? _pendingBody;
    private protected short _pendingSourceToken;
    private GreenletState _phase;
    private Flags _flags;
    private GreenletSynchronizationContext? _syncContext;

    // Once per greenlet: optimized at first call (a short program never reaches tier 1; docs/benchmarks.md, "Third pass").
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private protected Greenlet(Hub hub, object body)
    {
        _homeHub = hub;
        _body = body;
        _id = Interlocked.Increment(ref s_nextId);
        _spawnLink = hub._current;
        if (hub.RecordSpawners)
        {
            Identity.SpawnerId = hub._current?._id ?? 0;
        }
        hub.AddLive(this);
    }

    /// <summary>Creates an unstarted greenlet that will run <paramref name="function"/>; call <see cref="Start"/>.</summary>
    /// <exception cref="InvalidOperationException">Not called on a hub thread.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public Greenlet(Action function)
        : this(Hub.CurrentOrThrow("Gevent.Spawn (or new Greenlet)"), (object)Throw.IfNull(function))
    {
        _flags |= Flags.SyncBody;
    }

    /// <summary>Creates an unstarted greenlet that runs work posted to <paramref name="hub"/>'s shared synchronization context.</summary>
    internal Greenlet(Hub hub, PostedWork work)
        : this(hub, (object)work)
    {
        _flags |= Flags.SyncBody;
    }

    /// <summary>Creates an unstarted greenlet whose body is <paramref name="body"/> (library code's own greenlets).</summary>
    internal Greenlet(GreenletBody body)
        : this(Hub.CurrentOrThrow("Gevent.Spawn (or new Greenlet)"), (object)body)
    {
    }

    /// <summary>Creates an unstarted greenlet that will run the async <paramref name="function"/>; call <see cref="Start"/>.</summary>
    /// <exception cref="InvalidOperationException">Not called on a hub thread.</exception>
    [OverloadResolutionPriority(1)] // an async lambda fits Func<Task> and Func<ValueTask>: Task wins
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public Greenlet(Func<Task> function)
        : this(Hub.CurrentOrThrow("Gevent.Spawn (or new Greenlet)"), (object)Throw.IfNull(function))
    {
    }

    /// <summary>
    /// Creates an unstarted greenlet for a function returning a <see cref="ValueTask"/>, e.g. a single
    /// library wait (<c>() =&gt; evt.WaitAsync()</c>), which then needs no async state machine; call <see cref="Start"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">Not called on a hub thread.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public Greenlet(Func<ValueTask> function)
        : this(Hub.CurrentOrThrow("Gevent.Spawn (or new Greenlet)"), (object)Throw.IfNull(function))
    {
    }

    /// <summary>
    /// Creates an unstarted greenlet that will run <paramref name="function"/>(<paramref name="arg"/>),
    /// named after the function (gevent's <c>Greenlet(f, arg)</c>; a C# constructor cannot be generic,
    /// so this is a factory); call <see cref="Start"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">Not called on a hub thread.</exception>
    /// <example><code>Greenlet g = Greenlet.Create(GreetAsync, "ann"); g.Start(); // named "GreetAsync"</code></example>
    public static Greenlet Create<TArg>(Func<TArg, Task> function, TArg arg)
    {
        ArgumentNullException.ThrowIfNull(function);
        var g = new Greenlet(() => function(arg));
        g.NameAfter(function);
        return g;
    }

    /// <summary>Creates an unstarted greenlet that will run the synchronous <paramref name="function"/>(<paramref name="arg"/>), named after the function.</summary>
    /// <exception cref="InvalidOperationException">Not called on a hub thread.</exception>
    public static Greenlet Create<TArg>(Action<TArg> function, TArg arg)
    {
        ArgumentNullException.ThrowIfNull(function);
        var g = new Greenlet(() => function(arg));
        g.NameAfter(function);
        return g;
    }

    /// <summary>The greenlet running now on this thread's hub, or <see langword="null"/> outside greenlet code.</summary>
    public static Greenlet? Current => Hub.Current?._current;

    /// <summary>The hub this greenlet belongs to.</summary>
    public Hub Hub => _homeHub;

    /// <summary>Where the greenlet is in its life, for introspection (run-info dumps, tests).</summary>
    internal GreenletState State => _phase;

    /// <summary>A process-wide unique, increasing id.</summary>
    public long Id => _id;

    /// <summary>
    /// A name for reports and <see cref="ToString"/>; defaults to the name of the function: a
    /// method's or a local function's own name, and for a lambda the method it is written in with
    /// the compiler's number for it (<c>Main.lambda#2</c>), so two lambdas of one method differ.
    /// </summary>
    /// <remarks>Worked out on first read, not at spawn: most greenlets are never named.</remarks>
    public string Name
    {
        get
        {
            if (_body is GreenletBody body)
            {
                return body.Name; // no name object for a library body that names itself
            }

            NamedBody id = Identity;
            return id.Name as string ?? (string)(id.Name = GreenletNames.Of(id.Name ?? id.Function));
        }

        set => Identity.Name = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>
    /// Names this greenlet after <paramref name="function"/> (which its body calls), when its name is
    /// first read.
    /// </summary>
    internal void NameAfter(Delegate function) => Identity.Name = function;

    /// <summary>True from <see cref="Start"/> (or spawn) until the greenlet dies, as gevent's <c>started</c>.</summary>
    public bool Started => _phase is not (GreenletState.Unstarted or GreenletState.Dead);

    /// <summary>True once the greenlet has finished: returned, failed or been killed (gevent's <c>dead</c> and <c>ready()</c>).</summary>
    public sealed override bool Ready
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)] // read once per greenlet by JoinAllAsync
        get => _phase == GreenletState.Dead;
    }

    /// <summary>True if the greenlet finished without an exception (a <see cref="GreenletExit"/> kill counts as success).</summary>
    public bool Successful => _phase == GreenletState.Dead && _rare?.Error is null;

    /// <summary>
    /// The result: the function's return value, the <see cref="GreenletExit"/> it was killed
    /// with, or <see langword="null"/> while running or after a failure.
    /// </summary>
    public object? Value => ValueAsObject;

    /// <summary>The exception the greenlet died with, or <see langword="null"/>.</summary>
    public Exception? Exception => _rare?.Error?.SourceException;

    /// <summary>
    /// A token cancelled when this greenlet is killed or when a <see cref="Timeout"/> it started
    /// fires; pass it to foreign APIs (<c>HttpClient</c>, streams) so they are interrupted too.
    /// </summary>
    /// <remarks>
    /// After a timeout the greenlet gets a fresh token, so later foreign calls are not cancelled. A
    /// foreign task that takes no token is waited through <see cref="Gevent.WaitAsync(Task, CancellationToken)"/>,
    /// which a kill or timeout ends at once. A shield (<see cref="Gevent.Shield"/>) holds the cancellation
    /// off until it ends.
    /// </remarks>
    public CancellationToken CancellationToken
    {
        get
        {
            if (_phase == GreenletState.Dead)
            {
                return new CancellationToken(true);
            }

            return (RareState.Cts ??= new CancellationTokenSource()).Token;
        }
    }

    internal GreenletSynchronizationContext SyncContext => _syncContext ??= new GreenletSynchronizationContext(this);

    private protected virtual object? ValueAsObject => _rare?.Value;

    /// <summary>The out-of-line state, or null if none was ever needed: kept in <see cref="_body"/> (see <see cref="Rare"/>).</summary>
    private Rare? _rare
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (_flags & Flags.HasRare) != 0 ? Unsafe.As<Rare>(_body) : null;
    }

    /// <summary>The out-of-line state, created on first use (it takes over the function, name and spawner id).</summary>
    private Rare RareState => _rare ?? CreateRare();

    [MethodImpl(MethodImplOptions.NoInlining)]
    private Rare CreateRare()
    {
        var rare = new Rare();
        if (_body is NamedBody id)
        {
            rare.Function = id.Function;
            rare.Name = id.Name;
            rare.SpawnerId = id.SpawnerId;
        }
        else
        {
            rare.Function = _body;
        }

        _body = rare;
        _flags |= Flags.HasRare;
        return rare;
    }

    /// <summary>The exception a Kill or Timeout left for the next library wait (created on first use).</summary>
    private DeferredThrow Deferred => RareState.Deferred ??= new DeferredThrow();

    /// <summary>The greenlet's <see cref="DeferredThrow"/>, or null if nothing was ever deferred.</summary>
    internal DeferredThrow? DeferredOrNull => _rare?.Deferred;

    /// <summary>The function the greenlet runs (after it died: the function's method, if it was a closure).</summary>
    internal object? Function => _body is NamedBody id ? id.Function : _body;

    /// <summary>The greenlet's name and spawner, moved in beside its function on first use.</summary>
    private NamedBody Identity => _body as NamedBody ?? (NamedBody)(_body = new NamedBody { Function = _body });

    /// <summary>
    /// A named greenlet's function, name and spawner id: 40 bytes in the function's field, not the
    /// whole out-of-line <see cref="Rare"/> state (a server names every connection's greenlet).
    /// </summary>
    private class NamedBody
    {
        public object? Function;

        /// <summary>The name; or, until it is first read, the function to name the greenlet after (when not its body).</summary>
        public object? Name;
        public long SpawnerId = -1;
    }

    /// <summary>
    /// State most greenlets never need (a failure, a kill value, a cancellation token,
    /// a cancellable wait), kept out of line: a greenlet that only runs and waits stays ~70 bytes
    /// smaller, which matters when a million of them are blocked at once. Once created it takes the
    /// place of the function (and of its <see cref="NamedBody"/>) in <see cref="_body"/>, so the
    /// greenlet has no field of its own for it; <see cref="Flags.HasRare"/> says it is there.
    /// </summary>
    private sealed class Rare : NamedBody
    {
        public ExceptionDispatchInfo? Error;
        public object? Value;
        public CancellationTokenSource? Cts;
        public DeferredThrow? Deferred;
        public Exception? KilledWith;
        public Interrupts? Interrupts;
        public CancellationTokenRegistration CancelRegistration;
        public System.Runtime.CompilerServices.ConditionalWeakTable<object, object>? Locals;
        public Dictionary<object, object?>? TreeLocals;
    }
    /// <summary>The method the greenlet runs, as <c>Namespace.Type.Method</c> (<c>Program.Main.lambda#2</c>), for reports.</summary>
    internal string FunctionDescription => GreenletNames.Describe(_body is NamedBody { Name: { } f and not string } ? f : Function) ?? Name;

    /// <summary>The id of the greenlet that created this one (0: the hub itself; -1: not recorded), for run-info dumps.</summary>
    internal long SpawnerId => _body is NamedBody id ? id.SpawnerId : -1;

    /// <summary>
    /// This greenlet's greenlet-local values (<c>Local&lt;T&gt;</c>, a primitive; created on first use),
    /// keyed weakly by their <c>Local</c>: a local nobody references any more is collected with its
    /// value even while this greenlet runs (gevent #981).
    /// </summary>
    internal ConditionalWeakTable<object, object> LocalSlots => RareState.Locals ??= new ConditionalWeakTable<object, object>();

    /// <summary>This greenlet's greenlet-local values, or null if it never set one.</summary>
    internal ConditionalWeakTable<object, object>? LocalSlotsOrNull => _rare?.Locals;

    private string StateText => _phase.ToString();

    /// <summary>Like gevent's repr: <c>&lt;Greenlet "name" #id&gt;</c>.</summary>
    public sealed override string ToString() => $"<Greenlet \"{Name}\" #{_id}>";
}

/// <summary>One greenlet's value of one <c>Local&lt;T&gt;</c>: emptied when the greenlet dies.</summary>
internal interface ILocalSlot
{
    /// <summary>Lets go of the value.</summary>
    void Drop();
}
