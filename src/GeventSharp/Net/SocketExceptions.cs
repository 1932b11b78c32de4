using System.Net.Sockets;

namespace GeventSharp.Net;

/// <summary>
/// A green socket operation did not finish within the socket's <see cref="GreenSocket.Timeout"/>
/// (gevent's <c>socket.timeout</c>).
/// </summary>
/// <remarks>
/// It is a <see cref="SocketException"/> with <see cref="SocketError.TimedOut"/>, so code that
/// catches socket errors catches it too. The socket stays usable: nothing was lost, a later
/// operation may succeed. A <see cref="GreenSocket.SendAllAsync"/> that times out may have sent part of the data.
/// </remarks>
/// <example>
/// <code>
/// sock.Timeout = TimeSpan.FromSeconds(5);
/// try { int n = await sock.ReceiveAsync(buffer); }
/// catch (SocketTimeoutException) { Console.WriteLine("peer is silent"); }
/// </code>
/// </example>
public sealed class SocketTimeoutException : SocketException
{
    private readonly string _message;

    /// <summary>Creates the exception with gevent's message, <c>timed out</c>.</summary>
    public SocketTimeoutException()
        : this("timed out")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public SocketTimeoutException(string message)
        : base((int)SocketError.TimedOut) => _message = message;

    /// <inheritdoc/>
    public override string Message => _message;
}

/// <summary>
/// The socket was closed (by another greenlet, or by a server shutting down) while this greenlet
/// waited on it; the wait ends at once with this error.
/// </summary>
/// <remarks>A <see cref="SocketException"/> with <see cref="SocketError.OperationAborted"/>, like .NET's own aborted operations.</remarks>
/// <example><code>catch (SocketClosedException) { /* someone closed the socket under us */ }</code></example>
public sealed class SocketClosedException : SocketException
{
    private readonly string _message;

    /// <summary>Creates the exception with the default message.</summary>
    public SocketClosedException()
        : this("The socket was closed (by another greenlet) while this greenlet was waiting on it.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public SocketClosedException(string message)
        : base((int)SocketError.OperationAborted) => _message = message;

    /// <inheritdoc/>
    public override string Message => _message;
}
