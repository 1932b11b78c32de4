using System.Net.Sockets;

namespace GeventSharp.Net;

/// <summary>
/// A <see cref="Stream"/> over a connected <see cref="GreenSocket"/>, so <see cref="StreamReader"/>,
/// <see cref="System.Net.Security.SslStream"/> and System.IO.Pipelines work on green sockets.
/// </summary>
/// <remarks>
/// <para>Use the asynchronous members (<c>ReadAsync</c>, <c>WriteAsync</c>) from greenlets: they
/// suspend only the calling greenlet. The synchronous <c>Read</c>/<c>Write</c> would block the
/// whole hub and throw <see cref="NotSupportedException"/> instead.</para>
/// <para>Timeouts follow the socket's <see cref="GreenSocket.Timeout"/>.</para>
/// </remarks>
/// <example>
/// <code>
/// using GreenStream stream = sock.GetStream();
/// using var reader = new StreamReader(stream);
/// string? line = await reader.ReadLineAsync();
/// </code>
/// </example>
public sealed class GreenStream : Stream
{
    private readonly GreenSocket _socket;
    private readonly bool _ownsSocket;

    /// <summary>Creates a stream over <paramref name="socket"/>; disposing the stream closes the socket if <paramref name="ownsSocket"/>.</summary>
    public GreenStream(GreenSocket socket, bool ownsSocket = true)
    {
        ArgumentNullException.ThrowIfNull(socket);
        _socket = socket;
        _ownsSocket = ownsSocket;
    }

    /// <summary>The socket underneath.</summary>
    public GreenSocket Socket => _socket;

    /// <inheritdoc/>
    public override bool CanRead => !_socket.Closed;

    /// <inheritdoc/>
    public override bool CanWrite => !_socket.Closed;

    /// <inheritdoc/>
    public override bool CanSeek => false;

    /// <inheritdoc/>
    public override bool CanTimeout => true;

    /// <summary>The socket's <see cref="GreenSocket.Timeout"/> in milliseconds (-1: none).</summary>
    public override int ReadTimeout
    {
        get => _socket.Timeout is { } t ? (int)t.TotalMilliseconds : -1;
        set => _socket.Timeout = value < 0 ? null : TimeSpan.FromMilliseconds(value);
    }

    /// <summary>The socket's <see cref="GreenSocket.Timeout"/> in milliseconds (-1: none); shared with <see cref="ReadTimeout"/>.</summary>
    public override int WriteTimeout
    {
        get => ReadTimeout;
        set => ReadTimeout = value;
    }

    /// <inheritdoc/>
    public override long Length => throw new NotSupportedException("A socket stream has no length.");

    /// <inheritdoc/>
    public override long Position
    {
        get => throw new NotSupportedException("A socket stream has no position.");
        set => throw new NotSupportedException("A socket stream has no position.");
    }

    /// <inheritdoc/>
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        => OnHubGreenlet
            ? _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken)
            : ReadOffHub(buffer, cancellationToken);

    /// <inheritdoc/>
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc/>
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        => OnHubGreenlet
            ? _socket.SendAllAsync(buffer, cancellationToken)
            : WriteOffHub(buffer, cancellationToken);

    // The off-hub paths live in their own methods: a lambda capturing the parameters inside
    // ReadAsync/WriteAsync would make the compiler allocate its closure on every call, on the hub too.
    private ValueTask<int> ReadOffHub(Memory<byte> buffer, CancellationToken cancellationToken)
        => new(OffHub(() => _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken)));

    private ValueTask WriteOffHub(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
        => new(OffHub(async () =>
        {
            await _socket.SendAllAsync(buffer, cancellationToken);
            return 0;
        }));

    private bool OnHubGreenlet => Hub.Current is { } hub && ReferenceEquals(hub, _socket.Hub) && hub.CurrentGreenlet is not null;

    /// <summary>
    /// A library that resumed on another thread (SslStream does, after some handshake steps) calls
    /// the stream off the hub: run the operation in a helper greenlet on the socket's hub instead.
    /// </summary>
    private Task<int> OffHub(Func<ValueTask<int>> operation)
    {
        var done = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            _socket.Hub.Post(() =>
            {
                Greenlet helper = Gevent.Spawn(async Task () =>
                {
                    try
                    {
                        done.TrySetResult(await operation());
                    }
                    #pragma warning disable GS0004 // the helper greenlet hands every outcome, a kill included, to the foreign caller waiting on done, which rethrows it
                    catch (Exception e)
                    #pragma warning restore GS0004
                    {
                        done.TrySetException(e);
                    }
                });
                helper.Name = "GreenStream.offhub";
            });
        }
        catch (InvalidOperationException e)
        {
            done.TrySetException(new ObjectDisposedException("The hub of this green stream has finished running.", e));
        }

        return done.Task;
    }

    /// <inheritdoc/>
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Nothing to flush: writes go straight to the socket.</summary>
    public override void Flush()
    {
    }

    /// <inheritdoc/>
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Not supported: a synchronous read would block the hub. Use <see cref="ReadAsync(Memory{byte}, CancellationToken)"/>.</summary>
    public override int Read(byte[] buffer, int offset, int count)
        => throw new NotSupportedException("Synchronous reads would block the hub; use ReadAsync from a greenlet.");

    /// <summary>Not supported: a synchronous write would block the hub. Use <see cref="WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/>.</summary>
    public override void Write(byte[] buffer, int offset, int count)
        => throw new NotSupportedException("Synchronous writes would block the hub; use WriteAsync from a greenlet.");

    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("A socket stream cannot seek.");

    /// <inheritdoc/>
    public override void SetLength(long value) => throw new NotSupportedException("A socket stream has no length.");

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing && _ownsSocket)
        {
            _socket.Close();
        }

        base.Dispose(disposing);
    }
}
