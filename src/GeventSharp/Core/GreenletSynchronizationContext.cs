namespace GeventSharp;

/// <summary>
/// The synchronization context every greenlet with an async body runs under: continuations of
/// foreign awaits (<see cref="Task"/>, streams, <c>HttpClient</c>) posted to it resume on the hub, in
/// the same greenlet, so nothing needs patching. A greenlet with a synchronous body runs under its
/// hub's shared <see cref="HubSynchronizationContext"/> instead.
/// </summary>
internal sealed class GreenletSynchronizationContext : SynchronizationContext
{
    private readonly Greenlet _greenlet;

    public GreenletSynchronizationContext(Greenlet greenlet) => _greenlet = greenlet;

    public Greenlet Greenlet => _greenlet;

    public override void Post(SendOrPostCallback d, object? state) => _greenlet.Hub.PostForGreenlet(_greenlet, d, state);

    public override void Send(SendOrPostCallback d, object? state)
    {
        if (_greenlet.Hub.IsHubThread)
        {
            d(state);
            return;
        }

        using var done = new ManualResetEventSlim();
        Exception? error = null;
        _greenlet.Hub.PostForGreenlet(
            _greenlet,
            _ =>
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
            },
            null);
        done.Wait();
        if (error is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
        }
    }

    public override SynchronizationContext CreateCopy() => this;
}
