namespace GeventSharp.Http;

/// <summary>
/// Raised in a connection's greenlet by the server's heartbeat when its client missed a deadline
/// (<see cref="StallGuard"/>): no request came within the keep-alive timeout, the head took too long, or the body or the response went below its
/// minimum data rate. The connection catches it and closes.
/// </summary>
internal sealed class ClientTooSlowException(ClientWait wait)
    : Exception(wait switch
    {
        ClientWait.Head => "The request head did not arrive within the request-headers timeout.",
        ClientWait.Body => "The request body arrived below the minimum data rate.",
        ClientWait.KeepAlive => "The connection was idle for longer than the keep-alive timeout.",
        _ => "The client read the response below the minimum data rate.",
    })
{
    /// <summary>The deadline missed.</summary>
    public ClientWait Wait { get; } = wait;
}
