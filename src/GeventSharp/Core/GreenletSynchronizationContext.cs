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
        => HubSynchronizationContext.SendThrough(_greenlet.Hub, d, state, callback =>
        {
            _greenlet.Hub.PostForGreenlet(_greenlet, callback, null);
            return true;
        });

    public override SynchronizationContext CreateCopy() => this;
}
