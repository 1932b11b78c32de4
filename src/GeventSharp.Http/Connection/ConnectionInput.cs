using System.Buffers;
using System.Runtime.CompilerServices;

namespace GeventSharp.Http;

/// <summary>
/// What a connection has read from its client and not used yet: one buffer that holds the head
/// being parsed, then the body, then whatever the client pipelined after it.
/// </summary>
/// <remarks>
/// <para>The buffer starts at 4 KiB and grows only as far as the caller's limit allows (a head up to
/// <see cref="HttpServerOptions.MaxRequestHeadSize"/>, a chunk line up to its maximum), so a client
/// cannot make the server buffer more than one such unit.</para>
/// <para>It is rented (from the server's <see cref="SpareBuffers"/>, else <see cref="ArrayPool{T}.Shared"/>) only while there is input to hold: an
/// idle connection holds none (<see cref="Release"/>), and the next <see cref="FillAsync"/> waits
/// for readability with a zero-byte read, without a buffer, before it rents one. An idle
/// keep-alive connection thus costs no buffer memory.</para>
/// </remarks>
internal sealed class ConnectionInput(StallGuard stall, SpareBuffers spares) : IDisposable
{
    private const int InitialSize = 4096;

    /// <summary>The connection's stream, while the input serves it (see <see cref="HttpExchange"/>).</summary>
    public Stream Transport { get; set; } = Stream.Null;

    private byte[] _buffer = [];
    private int _start;
    private int _end;

    /// <summary>The bytes read and not consumed yet.</summary>
    public ReadOnlySpan<byte> Buffered => _buffer.AsSpan(_start, _end - _start);

    /// <summary>How many bytes are buffered.</summary>
    public int Count => _end - _start;

    /// <summary>True while a buffer is rented (false for an idle connection).</summary>
    public bool HoldsBuffer => _buffer.Length > 0;

    /// <summary>Rents the buffer if none is held: the caller saw the stream readable, so the next <see cref="FillAsync"/> reads at once.</summary>
    public void Rent()
    {
        if (_buffer.Length == 0)
        {
            _buffer = spares.RentInput(InitialSize);
        }
    }

    /// <summary>Marks <paramref name="count"/> buffered bytes as used.</summary>
    public void Consume(int count) => _start += count;

    /// <summary>
    /// Reads more input, growing the buffer up to <paramref name="limit"/> bytes if it is full;
    /// the bytes read, 0 at the end of the stream. Without a buffer, first waits for input with a
    /// zero-byte read, then rents one.
    /// </summary>
    /// <param name="limit">How large the buffer may grow for what is being read.</param>
    /// <param name="guarded">Hold the read to the I/O timeout (a body); a head waits under the keep-alive timeout instead.</param>
    /// <param name="keepAlive">
    /// Arm the keep-alive deadline if the read has to wait (the caller ends it). Armed only then: the
    /// server's heartbeat cannot look at it before the greenlet waits, and a read that completes at once
    /// (the usual case, the connection saw its input arrive) need not read the clock.
    /// </param>
    public ValueTask<int> FillAsync(int limit, bool guarded, bool keepAlive = false)
    {
        if (_start == _end)
        {
            _start = _end = 0;
        }

        if (_buffer.Length == 0 || _end == _buffer.Length)
        {
            return FillSlowAsync(limit, guarded, keepAlive);
        }

        // The usual case, a buffer with room and the bytes already there: no async method to enter.
        ValueTask<int> read = Transport.ReadAsync(_buffer.AsMemory(_end));
        if (read.IsCompleted)
        {
            int n = read.GetAwaiter().GetResult();
            _end += n;
            return new ValueTask<int>(n);
        }

        if (keepAlive)
        {
            stall.StartKeepAlive();
        }

        return FinishFillAsync(read, guarded);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> FinishFillAsync(ValueTask<int> read, bool guarded)
    {
        int n = guarded ? await stall.GuardAsync(read).ConfigureAwait(false) : await read;
        _end += n;
        return n;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> FillSlowAsync(int limit, bool guarded, bool keepAlive)
    {
        if (_buffer.Length == 0)
        {
            // Idle: wait until the client sends something (or closes) holding no buffer, then rent one.
            ValueTask<int> ready = Transport.ReadAsync(Memory<byte>.Empty);
            if (keepAlive && !ready.IsCompleted)
            {
                stall.StartKeepAlive();
                keepAlive = false; // armed once, from the start of the wait
            }

            _ = ready.IsCompleted ? ready.GetAwaiter().GetResult()
                : guarded ? await stall.GuardAsync(ready).ConfigureAwait(false)
                : await ready;
            Rent();
        }
        else if (_end == _buffer.Length)
        {
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            else if (_buffer.Length < limit)
            {
                byte[] bigger = ArrayPool<byte>.Shared.Rent(Math.Min(Math.Max(_buffer.Length * 2, InitialSize), limit));
                Buffer.BlockCopy(_buffer, 0, bigger, 0, _end);
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = bigger;
            }
        }

        ValueTask<int> read = Transport.ReadAsync(_buffer.AsMemory(_end));
        if (keepAlive && !read.IsCompleted)
        {
            stall.StartKeepAlive();
        }

        int n = read.IsCompleted ? read.GetAwaiter().GetResult()
            : guarded ? await stall.GuardAsync(read).ConfigureAwait(false)
            : await read;
        _end += n;
        return n;
    }

    /// <summary>Makes sure some input is buffered, reading if none is (under the I/O timeout).</summary>
    /// <exception cref="HttpBadRequestException">The stream ended: <paramref name="reason"/> says in the middle of what.</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask EnsureAsync(RejectReason reason)
    {
        if (_start == _end && await FillAsync(Math.Max(_buffer.Length, InitialSize), guarded: true).ConfigureAwait(false) == 0)
        {
            throw HttpRejection.Create(reason);
        }
    }

    /// <summary>Takes everything buffered (what a client sent right behind a protocol switch).</summary>
    public byte[] TakeAll()
    {
        byte[] rest = Buffered.ToArray();
        _start = _end;
        return rest;
    }

    /// <summary>Returns the buffer to the pool if nothing is buffered (the connection goes idle); true if none is held any more.</summary>
    public bool Release()
    {
        if (_start != _end)
        {
            return false; // pipelined bytes: the next request is already here
        }

        Dispose();
        return true;
    }

    /// <summary>Returns the buffer to the pool.</summary>
    public void Dispose()
    {
        if (_buffer.Length > 0)
        {
            spares.ReturnInput(_buffer);
            _buffer = [];
        }

        _start = _end = 0;
    }
}
