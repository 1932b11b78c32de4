using System.Runtime.CompilerServices;

namespace GeventSharp.Http;

/// <summary>
/// Holds an operation on the client (a read of a request body, a write of a response) to
/// <see cref="HttpServerOptions.IoTimeout"/>: a client that stops reading or sending fails it
/// with the guard's <see cref="Timeout"/>, so a stalled client cannot hold its connection forever.
/// </summary>
/// <remarks>
/// One per connection, shared by its input and its response writer, so the request loop can tell
/// a stall (<see cref="Caused"/>) from any other failure. The awaits here keep the greenlet's
/// context: the stream's operations may complete on another thread (TLS).
/// </remarks>
internal sealed class StallGuard(TimeSpan? limit)
{
    private Timeout? _timeout;

    /// <summary>Waits for <paramref name="pending"/> (not yet complete) within the limit.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask GuardAsync(ValueTask pending)
    {
        (_timeout ??= new Timeout(limit)).Start();
        try
        {
            await pending;
        }
        finally
        {
            _timeout.Cancel();
        }
    }

    /// <summary>Waits for <paramref name="pending"/> (not yet complete) within the limit.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> GuardAsync(ValueTask<int> pending)
    {
        (_timeout ??= new Timeout(limit)).Start();
        try
        {
            return await pending;
        }
        finally
        {
            _timeout.Cancel();
        }
    }

    /// <summary>True if <paramref name="e"/> is this guard's timeout firing: the client stalled.</summary>
    public bool Caused(Exception e) => _timeout is not null && _timeout.Caused(e);

    /// <summary>Stops the timer when the connection ends.</summary>
    public void Cancel() => _timeout?.Cancel();
}
