namespace GeventSharp.Net;

/// <summary>
/// A <see cref="StreamServer"/> handler greenlet's body: the handler and its socket in one 32-byte
/// object (instead of a closure, its delegate and a name object), naming the greenlet
/// <c>StreamServer.handler</c> and described in reports by the user's handler.
/// </summary>
internal sealed class StreamHandlerBody(Func<GreenSocket, Task> handler, GreenSocket client) : GreenletBody
{
    /// <inheritdoc/>
    public override string Name => "StreamServer.handler";

    /// <inheritdoc/>
    public override object Function => handler;

    /// <inheritdoc/>
    public override Task RunAsync() => handler(client);
}
