using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;

namespace GeventSharp;

/// <summary>A greenlet whose function returns a <typeparamref name="T"/>.</summary>
/// <typeparam name="T">The type of the function's result.</typeparam>
/// <remarks>
/// <para><see cref="Value"/> is the typed result (default while running, after a failure, or after a
/// kill); the base <see cref="Greenlet.Value"/> is the boxed result, or the <see cref="GreenletExit"/>
/// the greenlet was killed with, as in gevent.</para>
/// <para>A greenlet killed with <see cref="GreenletExit"/> counts as successful, so awaiting it (or
/// <see cref="GetAsync(TimeSpan?, CancellationToken)"/>, <see cref="Get"/>) does not throw: it returns <c>default(T)</c>, where gevent's
/// <c>get()</c> returns the <see cref="GreenletExit"/>, which a <typeparamref name="T"/> cannot hold.
/// Tell a kill from a real result with <c>((Greenlet)g).Value is GreenletExit</c>. Rethrowing the
/// exit instead would end the awaiting greenlet as if it had been killed itself.</para>
/// </remarks>
/// <example>
/// <code>
/// Greenlet&lt;string&gt; g = Gevent.Spawn(() =&gt; "You win!");
/// string s = await g; // "You win!"
/// </code>
/// </example>
public sealed class Greenlet<T> : Greenlet
{
    private T? _result;

    internal Greenlet(Hub hub, object body)
        : base(hub, body)
    {
    }

    /// <summary>Creates an unstarted greenlet that will run <paramref name="function"/>; call <see cref="Greenlet.Start"/>.</summary>
    public Greenlet(Func<T> function)
        : base(Hub.CurrentOrThrow("Gevent.Spawn (or new Greenlet)"), Throw.IfNull(function))
    {
        MarkSyncBody();
    }

    /// <summary>Creates an unstarted greenlet that will run the async <paramref name="function"/>; call <see cref="Greenlet.Start"/>.</summary>
    [OverloadResolutionPriority(1)] // an async lambda fits Func<Task<T>> and Func<ValueTask<T>>: Task wins
    public Greenlet(Func<Task<T>> function)
        : base(Hub.CurrentOrThrow("Gevent.Spawn (or new Greenlet)"), Throw.IfNull(function))
    {
    }

    /// <summary>
    /// Creates an unstarted greenlet for a function returning a <see cref="ValueTask{T}"/>
    /// (<c>() =&gt; gate.JoinAsync()</c>); call <see cref="Greenlet.Start"/>.
    /// </summary>
    public Greenlet(Func<ValueTask<T>> function)
        : base(Hub.CurrentOrThrow("Gevent.Spawn (or new Greenlet)"), Throw.IfNull(function))
    {
    }

    /// <summary>The function's result once it returned successfully; otherwise <c>default</c>.</summary>
    public new T? Value => _result;

    private protected override object? ValueAsObject => Successful && base.ValueAsObject is GreenletExit ge ? ge : _result;

    /// <summary>
    /// Returns the result, or rethrows the greenlet's exception with its original stack; waits if
    /// needed (see <see cref="Greenlet.GetAsync(TimeSpan?, CancellationToken)"/>).
    /// </summary>
    /// <remarks>After a <see cref="GreenletExit"/> kill it returns <c>default(T)</c> (see the class remarks).</remarks>
    public new ValueTask<T> GetAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        if (Ready)
        {
            ThrowIfFailed();
            return new ValueTask<T>(_result!);
        }

        return GetTypedSlowAsync(timeout, cancellationToken);
    }

    /// <summary>
    /// Returns the result or rethrows the greenlet's exception, waiting up to
    /// <paramref name="timeoutSeconds"/>; throws <see cref="Timeout"/> if it is not dead by then.
    /// </summary>
    public new ValueTask<T> GetAsync(double timeoutSeconds, CancellationToken cancellationToken = default)
        => GetAsync(Gevent.SecondsToTimeSpan(timeoutSeconds, nameof(timeoutSeconds)), cancellationToken);

    /// <summary>Returns the result, or rethrows the greenlet's exception, without waiting (gevent's <c>get(block=False)</c>).</summary>
    /// <exception cref="Timeout">The greenlet is not dead yet (with an empty message, as gevent's).</exception>
    public new T Get()
    {
        ThrowIfNotReadyOrFailed();
        return _result!;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<T> GetTypedSlowAsync(TimeSpan? timeout, CancellationToken cancellationToken)
    {
        await WaitDeadOrThrowTimeout(timeout, cancellationToken);
        ThrowIfFailed();
        return _result!;
    }

    /// <summary>Awaiting the greenlet waits for it to die, then returns its result or rethrows its exception, like awaiting a <see cref="Task{T}"/>.</summary>
    public ValueTaskAwaiter<T> GetAwaiter() => GetAsync().GetAwaiter();

    private protected override void StartBodyCore(object? body)
    {
        switch (body)
        {
            case Func<Task<T>> f:
                Task<T> t = f() ?? throw new InvalidOperationException($"The function of {this} returned a null Task.");
                if (t.IsCompleted)
                {
                    FinishTyped(new ValueTask<T>(t));
                }
                else
                {
                    _pendingBody = t;
                }

                break;
            case Func<ValueTask<T>> f:
                ValueTask<T> vt = f();
                if (vt.IsCompleted)
                {
                    FinishTyped(vt);
                }
                else if (ValueTaskParts<T>.Source(vt) is Task<T> pendingTask)
                {
                    _pendingBody = pendingTask;
                }
                else
                {
                    _pendingBody = ValueTaskParts<T>.Source(vt);
                    _pendingSourceToken = ValueTaskParts<T>.Token(vt);
                }

                break;
            case Func<T> f:
                _result = f();
                FinishSyncStep();
                break;
            default:
                base.StartBodyCore(body);
                break;
        }
    }

    private protected override bool TryFinishPendingBody()
    {
        if (_pendingBody is IValueTaskSource<T> source)
        {
            if (source.GetStatus(_pendingSourceToken) == ValueTaskSourceStatus.Pending)
            {
                return false;
            }

            var vt = new ValueTask<T>(source, _pendingSourceToken);
            _pendingBody = null;
            FinishTyped(vt);
            return true;
        }

        if (_pendingBody is Task<T> t)
        {
            if (!t.IsCompleted)
            {
                return false;
            }

            _pendingBody = null;
            FinishTyped(new ValueTask<T>(t));
            return true;
        }

        return base.TryFinishPendingBody();
    }

    private protected override Task? PendingBodyTask
    {
        get
        {
            if (_pendingBody is IValueTaskSource<T> source)
            {
                _pendingBody = new ValueTask<T>(source, _pendingSourceToken).AsTask();
            }

            return base.PendingBodyTask;
        }
    }

    /// <summary>Records how a completed valued body ended; a <see cref="Task{TResult}"/> body comes wrapped (no allocation).</summary>
    private void FinishTyped(ValueTask<T> vt)
    {
        T value;
        try
        {
            value = vt.GetAwaiter().GetResult();
        }
        catch (Exception e)
        {
            Finish(e);
            return;
        }

        _result = value;
        Finish(null);
    }
}
