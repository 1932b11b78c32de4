using System.Runtime.ExceptionServices;

namespace GeventSharp;

/// <summary>
/// The synchronization context a hub shares among greenlets whose body is synchronous
/// (<c>Gevent.Spawn(Action)</c>, <c>Spawn&lt;T&gt;(Func&lt;T&gt;)</c> and their argument forms): such a
/// body runs to completion in one step and never resumes, so it needs no context of its own.
/// </summary>
/// <remarks>
/// Work posted to it (the continuation of an async call such a body started and did not wait for,
/// <c>Gevent.Spawn(() =&gt; { _ = SaveAsync(); })</c>) runs on the hub in a new greenlet of its own,
/// spawned by the post (from another thread: through the hub's inbox): <see cref="Greenlet.Current"/>,
/// greenlet locals, kill and error reporting behave as in any greenlet, and the continuation's further
/// awaits capture this context again. That greenlet ends when the work next leaves the hub (returns or
/// goes into a foreign await); a library wait it starts keeps it alive until the wait is over.
/// Posts after the hub finished are dropped (and counted) as a greenlet's are.
/// </remarks>
internal sealed class HubSynchronizationContext : SynchronizationContext
{
    private readonly Hub _hub;

    public HubSynchronizationContext(Hub hub) => _hub = hub;

    public override void Post(SendOrPostCallback d, object? state)
    {
        ArgumentNullException.ThrowIfNull(d);
        _hub.PostToNewGreenlet(d, state);
    }

    public override void Send(SendOrPostCallback d, object? state)
    {
        ArgumentNullException.ThrowIfNull(d);
        SendThrough(_hub, d, state, callback => _hub.PostToNewGreenlet(callback, null));
    }

    /// <summary>
    /// A hub context's <c>Send</c>: runs <paramref name="d"/> at once on the hub thread; from another
    /// thread posts it with <paramref name="post"/> and blocks until it has run, rethrowing its exception.
    /// </summary>
    internal static void SendThrough(Hub hub, SendOrPostCallback d, object? state, Func<SendOrPostCallback, bool> post)
    {
        if (hub.IsHubThread)
        {
            d(state);
            return;
        }

        using var done = new ManualResetEventSlim();
        Exception? error = null;
        bool posted = post(_ =>
        {
            try
            {
                d(state);
            }
            catch (Exception e)
            {
                error = e;
            }
            finally
            {
                done.Set();
            }
        });
        if (!posted)
        {
            throw new InvalidOperationException("The hub has finished running; nothing more can be sent to it.");
        }

        done.Wait();
        if (error is not null)
        {
            ExceptionDispatchInfo.Throw(error);
        }
    }

    public override SynchronizationContext CreateCopy() => this;
}

/// <summary>A callback posted to a <see cref="HubSynchronizationContext"/>: the body of the greenlet that runs it.</summary>
internal sealed class PostedWork : GreenletBody
{
    private readonly SendOrPostCallback _callback;
    private readonly object? _state;

    public PostedWork(SendOrPostCallback callback, object? state)
    {
        _callback = callback;
        _state = state;
    }

    public override string Name => "posted";

    public override object Function => _callback;

    /// <summary>Runs the callback (the greenlet's start, in <see cref="Greenlet"/>'s StartBodyCore).</summary>
    public void Run() => _callback(_state);

    /// <summary>Not used: the greenlet runs <see cref="Run"/> as a synchronous body.</summary>
    public override Task RunAsync()
    {
        Run();
        return Task.CompletedTask;
    }
}
