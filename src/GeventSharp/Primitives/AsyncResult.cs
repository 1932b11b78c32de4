using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;

namespace GeventSharp;

/// <summary>
/// A one-time value (or exception) that greenlets wait for: an <see cref="Event"/> that carries a
/// result (gevent's <c>gevent.event.AsyncResult</c>).
/// </summary>
/// <typeparam name="T">The type of the value.</typeparam>
/// <remarks>
/// <para>Every waiter wakes, in the order it started waiting, when <see cref="Set(T)"/> or
/// <see cref="SetException"/> is called; the wake-ups are scheduled, the setter keeps running.</para>
/// <para>As in gevent, setting again replaces the outcome (later readers see the new one).</para>
/// <para>It is a greenlet link target: <c>g.Link(result)</c> (<see cref="AsyncResultExtensions"/>)
/// delivers the greenlet's value or exception when it dies. Awaiting it returns the value or
/// rethrows the exception with its original stack.</para>
/// <para><see cref="GetAsync(TimeSpan?, CancellationToken)"/> throws <see cref="Timeout"/> when
/// the result is not ready in time, as gevent's <c>get()</c> does; <see cref="WaitAsync(TimeSpan?, CancellationToken)"/>
/// returns false instead.</para>
/// </remarks>
/// <example>
/// <code>
/// var result = new AsyncResult&lt;string&gt;();
/// Gevent.Spawn(async () =&gt; { await Gevent.Sleep(3); result.Set("Hello!"); });
/// string message = await result; // "Hello!" after 3 seconds
/// </code>
/// </example>
[DebuggerDisplay("{ToString(),nq}")]
public sealed class AsyncResult<T> : Waitable
{
    private bool _ready;
    private T? _value;
    private ExceptionDispatchInfo? _error;

    /// <summary>Creates an empty result.</summary>
    public AsyncResult()
    {
    }

    /// <summary>True once a value or an exception is set.</summary>
    public override bool Ready => _ready;

    /// <summary>True if a value (not an exception) is set.</summary>
    public bool Successful => _ready && _error is null;

    /// <summary>The value if one is set; otherwise <c>default</c> (does not wait or throw).</summary>
    public T? Value => _error is null ? _value : default;

    /// <summary>The exception if one is set; otherwise <see langword="null"/>.</summary>
    public Exception? Exception => _error?.SourceException;

    /// <summary>Stores <paramref name="value"/> and wakes every waiter.</summary>
    /// <exception cref="InvalidOperationException">Not called on a hub thread.</exception>
    public void Set(T value)
    {
        Hub hub = Hub.CurrentOrThrow("AsyncResult.Set");
        _value = value;
        _error = null;
        _ready = true;
        NotifyAll(hub);
    }

    /// <summary>Stores <paramref name="exception"/> (rethrown by readers with its original stack) and wakes every waiter.</summary>
    /// <exception cref="InvalidOperationException">Not called on a hub thread.</exception>
    public void SetException(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        Hub hub = Hub.CurrentOrThrow("AsyncResult.SetException");
        _value = default;
        _error = ExceptionDispatchInfo.Capture(exception);
        _ready = true;
        NotifyAll(hub);
    }

    /// <summary>
    /// Returns the value or rethrows the exception. If not ready: waits up to
    /// <paramref name="timeout"/> and throws <see cref="Timeout"/> if it is still not ready.
    /// <see cref="Get"/> is the form that does not wait.
    /// </summary>
    /// <exception cref="Timeout">Not ready in time.</exception>
    public ValueTask<T> GetAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        if (_ready)
        {
            _error?.Throw();
            return new ValueTask<T>(_value!);
        }

        Greenlet current = Hub.CurrentGreenletOrThrow("AsyncResult.GetAsync");
        long ticks = current.Hub.TimeoutToTicks(timeout);
        if (ticks == 0)
        {
            throw new Timeout(TimeSpan.Zero);
        }

        return GetSlowAsync(current, ticks, timeout, cancellationToken);
    }

    /// <summary>Returns the value, waiting up to <paramref name="timeoutSeconds"/>; see <see cref="GetAsync(TimeSpan?, CancellationToken)"/>.</summary>
    public ValueTask<T> GetAsync(double timeoutSeconds, CancellationToken cancellationToken = default)
        => GetAsync(Gevent.SecondsToTimeSpan(timeoutSeconds, nameof(timeoutSeconds)), cancellationToken);

    /// <summary>
    /// Returns the value or rethrows the exception without waiting (gevent's <c>get(block=False)</c>
    /// and <c>get_nowait()</c>).
    /// </summary>
    /// <exception cref="Timeout">Not ready yet (with an empty message, as gevent's).</exception>
    public T Get()
    {
        if (!_ready)
        {
            throw Timeout.NotReady();
        }

        _error?.Throw();
        return _value!;
    }

    private ValueTask<T> GetSlowAsync(Greenlet current, long ticks, TimeSpan? timeout, CancellationToken cancellationToken)
        => OperationPool<GetOperation>.Rent().Start(this, current, ticks, timeout, cancellationToken);

    /// <summary>A blocked get: reads the outcome (or raises <see cref="Timeout"/>) when the reader resumes.</summary>
    private sealed class GetOperation : GreenletOperation<T>
    {
        private AsyncResult<T>? _result;
        private TimeSpan? _timeout;

        public ValueTask<T> Start(AsyncResult<T> result, Greenlet current, long ticks, TimeSpan? timeout, CancellationToken cancellationToken)
        {
            _result = result;
            _timeout = timeout;
            if (!Suspend(current, result, result.Waiters, ticks, cancellationToken, out Exception? early))
            {
                ReturnToPool();
                return ValueTask.FromException<T>(early!);
            }

            return Pending;
        }

        protected override T Complete(bool woken)
        {
            if (!woken)
            {
                throw new Timeout(_timeout ?? TimeSpan.Zero);
            }

            AsyncResult<T> r = _result!;
            r._error?.Throw();
            return r._value!;
        }

        protected override void ReturnToPool()
        {
            _result = null;
            OperationPool<GetOperation>.Return(this);
        }
    }

    /// <summary>
    /// Waits until the result is ready (value or exception), the timeout elapses, or the token is
    /// cancelled; does not throw the stored exception.
    /// </summary>
    /// <returns>True if ready, false if the timeout elapsed first.</returns>
    public ValueTask<bool> WaitAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        => WaitUntilReadyAsync("AsyncResult.WaitAsync", timeout, cancellationToken);

    /// <summary>Waits until ready or <paramref name="seconds"/> elapse; see <see cref="WaitAsync(TimeSpan?, CancellationToken)"/>.</summary>
    public ValueTask<bool> WaitAsync(double seconds, CancellationToken cancellationToken = default)
        => WaitAsync(Gevent.SecondsToTimeSpan(seconds, nameof(seconds)), cancellationToken);

    /// <summary>Awaiting the result waits for it and returns the value or rethrows the exception.</summary>
    public ValueTaskAwaiter<T> GetAwaiter() => GetAsync().GetAwaiter();

    /// <summary>
    /// Delivers <paramref name="greenlet"/>'s outcome here when it dies (gevent's <c>g.link(result)</c>):
    /// its value (boxed, or the <see cref="GreenletExit"/> it was killed with) or its exception.
    /// </summary>
    /// <exception cref="InvalidCastException">Later, if the greenlet's value is not a <typeparamref name="T"/>.</exception>
    internal void LinkTo(Greenlet greenlet)
    {
        ArgumentNullException.ThrowIfNull(greenlet);
        greenlet.Link(SetFromGreenlet);
    }

    /// <summary>Delivers the typed result of <paramref name="greenlet"/> here when it dies.</summary>
    internal void LinkTo(Greenlet<T> greenlet)
    {
        ArgumentNullException.ThrowIfNull(greenlet);
        greenlet.Link(SetFromTypedGreenlet);
    }

    /// <summary>Sets this result from a dead greenlet's outcome (a link callback).</summary>
    public void SetFromGreenlet(Greenlet greenlet)
    {
        ArgumentNullException.ThrowIfNull(greenlet);
        if (greenlet.Exception is { } e)
        {
            SetException(e);
        }
        else
        {
            Set((T)greenlet.Value!);
        }
    }

    /// <summary>A link callback setting this result from a dead <see cref="Greenlet{T}"/> (equal each time, so it can be unlinked).</summary>
    internal Action<Greenlet> TypedSetter => SetFromTypedGreenlet;

    private void SetFromTypedGreenlet(Greenlet greenlet)
    {
        if (greenlet.Exception is { } e)
        {
            SetException(e);
        }
        else if (greenlet.Value is T value)
        {
            Set(value); // the result, or the GreenletExit it was killed with when T admits it
        }
        else
        {
            Set(((Greenlet<T>)greenlet).Value!);
        }
    }

    /// <summary>Like <c>&lt;AsyncResult unset, 5 waiters&gt;</c> or <c>&lt;AsyncResult value=Hello!&gt;</c>.</summary>
    public override string ToString()
    {
        if (!_ready)
        {
            return $"<AsyncResult unset, {WaitersText}>";
        }

        return _error is null ? $"<AsyncResult value={_value}>" : $"<AsyncResult exception={_error.SourceException.GetType().Name}>";
    }
}
