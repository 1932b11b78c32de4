using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace GeventSharp;

/// <summary>
/// Raises an exception in the greenlet that started it, at its current wait, once a number of
/// seconds has passed — by default the <see cref="Timeout"/> itself.
/// </summary>
/// <remarks>
/// <para>The exception is raised only in the greenlet that called <see cref="Start"/>, wherever it
/// waits when the time is up (a sleep, a join, a queue get...). Code that never waits cannot be
/// interrupted. Its <see cref="Greenlet.CancellationToken"/> is cancelled as well, so foreign awaits
/// that take the token stop too. Such an await throws <see cref="OperationCanceledException"/>;
/// <see cref="Dispose"/> (the end of a <c>using</c> scope), <see cref="Gevent.WithTimeoutAsync(double, Func{Task})"/>
/// and <see cref="RunSilentlyAsync(double, Func{Task})"/> turn it back into the timeout, so the caller
/// sees the <see cref="Timeout"/> (or its custom exception).</para>
/// <para>The timeout you catch may not be the one you set: with nested timeouts, the one that
/// fired is the one raised. Check with <c>catch (Timeout t) when (t == mine)</c>.</para>
/// <para>Once fired, the timeout stands until its scope ends (<see cref="Dispose"/>, <see cref="Cancel"/>
/// or a new <see cref="Start"/>): each later wait of the greenlet raises it again, so a
/// <c>catch (Exception)</c> inside the scope cannot keep it running; a greenlet that swallows it twice
/// is ended at its next wait. Cleanup that must wait inside the scope uses <see cref="Gevent.Shield"/>.
/// End a timeout started by hand with <see cref="Cancel"/> in a <c>finally</c>.</para>
/// <para>A cancelled or disposed timeout never fires later. A C# <c>using</c> block cannot swallow
/// an exception, so gevent's silent <c>Timeout(1, False)</c> is <see cref="RunSilentlyAsync(double, Func{Task})"/>.</para>
/// <para>Under implicit usings the package makes <c>Timeout</c> this type (a global alias that beats
/// <c>System.Threading.Timeout</c>), and <see cref="Infinite"/> and <see cref="InfiniteTimeSpan"/>
/// forward that class's two constants, so <c>Thread.Sleep(Timeout.Infinite)</c> and
/// <c>Task.Delay(Timeout.InfiniteTimeSpan)</c> compile as before.</para>
/// </remarks>
/// <example>
/// <code>
/// try
/// {
///     using (Timeout.StartNew(1))
///     {
///         await Gevent.Sleep(10);
///     }
/// }
/// catch (Timeout e)
/// {
///     Console.WriteLine($"caught Timeout: {e.Message}"); // caught Timeout: 1 second
/// }
/// </code>
/// </example>
public sealed class Timeout : Exception, IDisposable, ITimerTarget
{
    private readonly TimeSpan? _duration;
    private readonly Exception? _exception;
    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)]
    private readonly Type? _exceptionType;
    private Greenlet? _owner;
    private Exception? _raised;
    private string? _message;
    private long _generation;
    private bool _pending;
    private static long s_startOrder;

    /// <summary>
    /// <c>System.Threading.Timeout.Infinite</c> (-1): "no time limit" for the BCL's waits that take
    /// milliseconds (<c>Thread.Sleep</c>, <c>WaitHandle.WaitOne</c>, <c>System.Threading.Timer</c>).
    /// </summary>
    /// <remarks>
    /// Here so code written against <c>System.Threading.Timeout</c> still compiles where <c>Timeout</c>
    /// means this type (the package's implicit usings). It is not a number of seconds: GeventSharp's
    /// waits take a null timeout for "no limit", and reject a negative number of seconds.
    /// </remarks>
    public const int Infinite = System.Threading.Timeout.Infinite;

    /// <summary>
    /// <c>System.Threading.Timeout.InfiniteTimeSpan</c> (-1 ms): "no time limit" for the BCL's
    /// <see cref="TimeSpan"/> waits (<c>Task.Delay</c>, <c>CancellationTokenSource.CancelAfter</c>).
    /// </summary>
    /// <remarks>
    /// Here so code written against <c>System.Threading.Timeout</c> still compiles where <c>Timeout</c>
    /// means this type. A <see cref="Timeout"/> of this duration never fires, like one of null.
    /// </remarks>
    public static readonly TimeSpan InfiniteTimeSpan = System.Threading.Timeout.InfiniteTimeSpan;

    /// <summary>A timeout that never fires (gevent's <c>Timeout(None)</c>).</summary>
    public Timeout()
        : this((TimeSpan?)null)
    {
    }

    /// <summary>A timeout of <paramref name="seconds"/>; call <see cref="Start"/>.</summary>
    public Timeout(double seconds)
        : this(Gevent.SecondsToTimeSpan(seconds, nameof(seconds)))
    {
    }

    /// <summary>A timeout of <paramref name="duration"/> (null or <see cref="InfiniteTimeSpan"/>: never fires); call <see cref="Start"/>.</summary>
    public Timeout(TimeSpan? duration)
    {
        _duration = Finite(duration);
    }

    /// <summary>A timeout that raises <paramref name="exception"/> instead of itself.</summary>
    public Timeout(double seconds, Exception exception)
        : this(Gevent.SecondsToTimeSpan(seconds, nameof(seconds)), exception)
    {
    }

    /// <summary>A timeout that raises <paramref name="exception"/> instead of itself.</summary>
    public Timeout(TimeSpan? duration, Exception exception)
    {
        _duration = Finite(duration);
        _exception = Throw.IfNull(exception);
    }

    /// <summary>
    /// A timeout that raises a new instance of <paramref name="exceptionType"/> (created with its
    /// parameterless constructor when the time is up) instead of itself.
    /// </summary>
    public Timeout(double seconds, [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] Type exceptionType)
        : this(Gevent.SecondsToTimeSpan(seconds, nameof(seconds)), exceptionType)
    {
    }

    /// <summary>
    /// A timeout that raises a new instance of <paramref name="exceptionType"/> instead of itself.
    /// </summary>
    public Timeout(TimeSpan? duration, [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] Type exceptionType)
    {
        _duration = Finite(duration);
        _exceptionType = ValidateType(exceptionType);
    }

    /// <summary>
    /// The <see cref="Timeout"/> a result's <c>Get()</c> throws when the result is not ready: no
    /// duration and an empty message, as gevent's <c>get(block=False)</c> raises.
    /// </summary>
    internal static Timeout NotReady() => new((TimeSpan?)null) { _message = string.Empty };

    /// <summary>
    /// A timeout of <paramref name="seconds"/> that is <paramref name="silent"/> (gevent's
    /// <c>Timeout(seconds, False)</c>); call <see cref="Start"/>.
    /// </summary>
    /// <remarks>
    /// A silent timeout fires like any other: a C# <c>using</c> block cannot swallow the exception
    /// at its end, as gevent's <c>with</c> does. Catch it with <c>catch (Timeout t) when (t == quiet)</c>,
    /// or let <see cref="RunSilentlyAsync(double, Func{Task})"/> do it. <see cref="Silent"/> and the
    /// message (<c>1 second (silent)</c>) say what it is.
    /// </remarks>
    /// <example>
    /// <code>
    /// var quiet = Timeout.StartNew(1, silent: true);
    /// try { await Gevent.Sleep(10); }
    /// catch (Timeout t) when (t == quiet) { } // ends the block quietly, as gevent's with Timeout(1, False)
    /// finally { quiet.Cancel(); }
    /// </code>
    /// </example>
    public Timeout(double seconds, bool silent)
        : this(Gevent.SecondsToTimeSpan(seconds, nameof(seconds)), silent)
    {
    }

    /// <summary>A timeout of <paramref name="duration"/> that is <paramref name="silent"/>; see <see cref="Timeout(double, bool)"/>.</summary>
    public Timeout(TimeSpan? duration, bool silent)
    {
        _duration = Finite(duration);
        Silent = silent;
    }

    /// <summary>Like gevent's: <c>1 second</c>, <c>2 seconds</c>, <c>0.5 seconds</c>, <c>1 second (silent)</c>.</summary>
    /// <remarks>Formatted on first read: most timeouts are cancelled and never show their message.</remarks>
    public override string Message => _message ??= Describe(_duration, _exception?.GetType() ?? _exceptionType, Silent);

    /// <summary>The duration in seconds, or null for a timeout that never fires.</summary>
    public double? Seconds => _duration?.TotalSeconds;

    /// <summary>The duration, or null for a timeout that never fires.</summary>
    public TimeSpan? Duration => _duration;

    /// <summary>True while started and not yet fired or cancelled.</summary>
    public bool Pending => _pending;

    /// <summary>True once this timeout has fired.</summary>
    public bool Fired { get; private set; }

    /// <summary>True for a silent timeout (see <see cref="RunSilentlyAsync(double, Func{Task})"/>).</summary>
    public bool Silent { get; }

    /// <summary>The greenlet that started it, which it raises in.</summary>
    public Greenlet? Owner => _owner;

    /// <summary>Creates and starts a timeout in the current greenlet.</summary>
    public static Timeout StartNew(double seconds) => new Timeout(seconds).Start();

    /// <summary>Creates and starts a timeout in the current greenlet.</summary>
    public static Timeout StartNew(TimeSpan duration) => new Timeout(duration).Start();

    /// <summary>Creates and starts a timeout that is <paramref name="silent"/> (gevent's <c>Timeout.start_new(seconds, False)</c>); see <see cref="Timeout(double, bool)"/>.</summary>
    public static Timeout StartNew(double seconds, bool silent) => new Timeout(seconds, silent).Start();

    /// <summary>Creates and starts a timeout that is <paramref name="silent"/>; see <see cref="Timeout(double, bool)"/>.</summary>
    public static Timeout StartNew(TimeSpan duration, bool silent) => new Timeout(duration, silent).Start();

    /// <summary>Creates and starts a timeout that raises <paramref name="exception"/>.</summary>
    public static Timeout StartNew(double seconds, Exception exception) => new Timeout(seconds, exception).Start();

    /// <summary>Creates and starts a timeout that raises a new <paramref name="exceptionType"/>.</summary>
    public static Timeout StartNew(double seconds, [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] Type exceptionType) => new Timeout(seconds, exceptionType).Start();

    /// <summary>Creates and starts a timeout that raises <paramref name="exception"/>.</summary>
    public static Timeout StartNew(TimeSpan duration, Exception exception) => new Timeout(duration, exception).Start();

    /// <summary>Creates and starts a timeout that raises a new <paramref name="exceptionType"/>.</summary>
    public static Timeout StartNew(TimeSpan duration, [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] Type exceptionType) => new Timeout(duration, exceptionType).Start();

    /// <summary>
    /// Runs <paramref name="body"/> with a silent timeout (gevent's <c>with Timeout(seconds, False)</c>):
    /// if the time is up, the body is interrupted and the call returns false instead of throwing.
    /// </summary>
    /// <returns>True if the body finished in time.</returns>
    /// <example><code>bool finished = await Timeout.RunSilentlyAsync(1, () =&gt; Gevent.Sleep(10)); // false</code></example>
    [System.Runtime.CompilerServices.OverloadResolutionPriority(1)] // an async lambda fits Func<Task> and Func<ValueTask>: Task wins
    public static Task<bool> RunSilentlyAsync(double seconds, Func<Task> body)
        => RunSilentlyAsync(Gevent.SecondsToTimeSpan(seconds, nameof(seconds)), body);

    /// <summary>
    /// Runs a body returning a <see cref="ValueTask"/> (a library wait such as <c>() =&gt; Gevent.Sleep(10)</c>)
    /// with a silent timeout; see <see cref="RunSilentlyAsync(double, Func{Task})"/>.
    /// </summary>
    public static Task<bool> RunSilentlyAsync(double seconds, Func<ValueTask> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return RunSilentlyAsync(seconds, () => body().AsTask());
    }

    /// <summary>Runs a body returning a <see cref="ValueTask"/> with a silent timeout; see <see cref="RunSilentlyAsync(double, Func{Task})"/>.</summary>
    public static Task<bool> RunSilentlyAsync(TimeSpan duration, Func<ValueTask> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return RunSilentlyAsync(duration, () => body().AsTask());
    }

    /// <summary>Runs <paramref name="body"/> with a silent timeout; see <see cref="RunSilentlyAsync(double, Func{Task})"/>.</summary>
    [System.Runtime.CompilerServices.OverloadResolutionPriority(1)]
    public static async Task<bool> RunSilentlyAsync(TimeSpan duration, Func<Task> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var timeout = new Timeout(duration, silent: true);
        timeout.Start();
        try
        {
            await body();
            return true;
        }
        catch (Exception e) when (timeout.Caused(e))
        {
            return false;
        }
        finally
        {
            timeout.Cancel();
        }
    }

    /// <summary>Arms the timer in the current greenlet. Returns this, for <c>using (new Timeout(1).Start())</c>.</summary>
    /// <exception cref="InvalidOperationException">Already pending, or not called from a greenlet.</exception>
    public Timeout Start()
    {
        Greenlet owner = Hub.CurrentGreenletOrThrow("Timeout.Start");
        if (_pending)
        {
            throw new InvalidOperationException($"This timeout ({Message}) is already pending; cancel it before starting it again.");
        }

        if (_raised is not null)
        {
            _owner?.DeferredOrNull?.Disown(this);
            _owner?.OnTimeoutScopeEnded(this);
        }

        _owner = owner;
        ShieldDepth = owner.ShieldDepth;
        StartOrder = Interlocked.Increment(ref s_startOrder);
        _raised = null;
        Fired = false;
        if (_duration is not { } d)
        {
            return this;
        }

        _pending = true;
        _generation++;
        Hub hub = owner.Hub;
        hub.AddTimer(hub.Now + hub.ToTicks(d), this, _generation);
        return this;
    }

    /// <summary>
    /// Disarms the timer; a cancelled timeout never fires. Safe to call more than once, and never
    /// throws: a timeout that fired into a foreign await and was not raised yet is dropped (use
    /// <see cref="Dispose"/>, the end of a <c>using</c> scope, to raise it instead).
    /// </summary>
    public void Cancel()
    {
        if (_pending)
        {
            _pending = false;
            _generation++;
            _owner?.Hub.NoteTimerCancelled();
        }

        // Raised into a foreign await but not delivered yet: the scope is over, so drop it. The
        // expired scope no longer interrupts the greenlet's waits.
        if (_raised is not null)
        {
            _owner?.DeferredOrNull?.Drop(_raised);
            _owner?.OnTimeoutScopeEnded(this);
        }
    }

    /// <summary>
    /// Ends the scope of <c>using (Timeout.StartNew(...))</c>: disarms the timer like <see cref="Cancel"/>,
    /// and raises a timeout that fired into a foreign await of the scope and was not raised yet.
    /// </summary>
    /// <remarks>
    /// A timeout that fires while its greenlet is in a foreign await (a <c>Task</c>, a stream) cancels
    /// the greenlet's <see cref="Greenlet.CancellationToken"/>; the await ends with an
    /// <see cref="OperationCanceledException"/> (or ignores the token and finishes later). Either way
    /// the time ran out inside the scope, so leaving it throws the timeout that fired — this one, or an
    /// enclosing one of the same greenlet, or its custom exception — in place of the cancellation: the
    /// code around the scope sees what a library wait would have raised. A pending kill is left to
    /// the greenlet's next wait. <see cref="Cancel"/> never throws.
    /// </remarks>
    /// <exception cref="Timeout">A timeout of this greenlet fired during a foreign await of the scope.</exception>
    public void Dispose()
    {
        Exception? undelivered = _owner is { } owner && ReferenceEquals(Greenlet.Current, owner)
            ? owner.DeferredOrNull?.TakeRaisedIntoForeignAwait()
            : null;
        Cancel();
        GC.SuppressFinalize(this);
        if (undelivered is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(undelivered);
        }
    }

    /// <summary>
    /// True if <paramref name="exception"/> is what this timeout raised: itself, its custom
    /// exception, or the cancellation of a foreign await it interrupted through the greenlet's token.
    /// </summary>
    public bool Caused(Exception exception)
    {
        if (!Fired || exception is null)
        {
            return false;
        }

        return ReferenceEquals(exception, _raised) || (exception is OperationCanceledException && _raised is not null);
    }

    void ITimerTarget.OnTimer(long token)
    {
        if (!_pending || token != _generation)
        {
            return;
        }

        _pending = false;
        Fired = true;
        Greenlet? owner = _owner;
        if (owner is null || owner.Ready)
        {
            return;
        }

        _raised = _exception ?? (_exceptionType is not null ? (Exception)Activator.CreateInstance(_exceptionType)! : this);
        owner.OnTimeoutExpired(this, _raised);
    }

    /// <summary>The owner's shield depth when it started: shields begun later hold it off.</summary>
    internal int ShieldDepth { get; private set; }

    /// <summary>Increases with each start (process-wide): of two expired scopes, the smaller is the outer.</summary>
    internal long StartOrder { get; private set; }

    /// <summary>How many times the owner's waits raised it since it fired (see <see cref="Interrupts.MaxRaises"/>).</summary>
    internal int Raises;

    /// <summary>What it raised when it fired (itself or its custom exception), or null.</summary>
    internal Exception? RaisedException => _raised;

    bool ITimerTarget.IsTimerLive(long token) => _pending && token == _generation;

    /// <summary>The BCL's infinite duration (-1 ms) is "never fires" here too, as null is.</summary>
    private static TimeSpan? Finite(TimeSpan? duration) => duration == InfiniteTimeSpan ? null : duration;

    [return: DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)]
    private static Type ValidateType([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] Type exceptionType)
    {
        ArgumentNullException.ThrowIfNull(exceptionType);
        if (!typeof(Exception).IsAssignableFrom(exceptionType) || exceptionType.GetConstructor(Type.EmptyTypes) is null)
        {
            throw new ArgumentException($"{exceptionType} must be an Exception type with a public parameterless constructor.", nameof(exceptionType));
        }

        return exceptionType;
    }

    private static string Describe(TimeSpan? duration, Type? exceptionType, bool silent)
    {
        if (duration is not { } d)
        {
            return "Timeout (never fires)";
        }

        double s = d.TotalSeconds;
        string text = s.ToString(CultureInfo.InvariantCulture) + (s == 1 ? " second" : " seconds");
        if (silent)
        {
            text += " (silent)";
        }
        else if (exceptionType is not null)
        {
            text += ": " + exceptionType.Name;
        }

        return text;
    }
}
