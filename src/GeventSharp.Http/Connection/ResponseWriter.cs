using System.Buffers;
using System.Buffers.Text;
using System.Net;
using System.Runtime.CompilerServices;

namespace GeventSharp.Http;

/// <summary>
/// Sends the responses of one connection: buffers a response's body, decides its framing, writes
/// its head and body, and keeps the accounts (declared length, bytes sent, chunked or not).
/// </summary>
/// <remarks>
/// <para>The body is buffered behind a reserved gap: when the head goes out, it is rendered into
/// the gap just before the body, so head and body leave in a single write. A body larger than the
/// buffer, or a flush, sends the head at once with the declared length, else chunked (HTTP/1.1)
/// or delimited by the connection's close (HTTP/1.0).</para>
/// <para>A writer serves a connection's responses one after another (<see cref="Begin"/>) while the
/// connection has a request (it belongs to an <see cref="HttpExchange"/>, which idle connections pass on);
/// an <see cref="HttpResponse"/> writes through it, and only the current one may.</para>
/// <para>The buffer is rented from the server's <see cref="SpareBuffers"/> (else <see cref="ArrayPool{T}.Shared"/>) by <see cref="Begin"/> and
/// returned by <see cref="Release"/> once the response is complete and the connection goes idle
/// (or is upgraded), so an idle connection holds none.</para>
/// </remarks>
internal sealed class ResponseWriter : IDisposable
{
    private const int HeadReserve = 1024;

    private static readonly byte[] s_lastChunk = "0\r\n\r\n"u8.ToArray();
    private static readonly byte[] s_crlf = "\r\n"u8.ToArray();

    private readonly HttpServer _server;
    private readonly StallGuard _stall;
    private readonly HttpServerOptions _options;
    private byte[] _out = [];

    private HttpResponse? _response;
    private bool _headOnly;
    private bool _http10;
    private bool _started;
    private bool _complete;
    private bool _chunked;
    private int _bodyLen;
    private long _headBodyLength;
    private long _declared;
    private long _sent;

    public ResponseWriter(HttpServer server, StallGuard stall, HttpServerOptions options)
    {
        _server = server;
        _stall = stall;
        _options = options;
    }

    /// <summary>The connection's stream, while the writer serves it (see <see cref="HttpExchange"/>).</summary>
    public Stream Transport { get; set; } = Stream.Null;

    /// <summary>Whether the connection stays open after the current response (cleared by <c>Connection: close</c>, errors, upgrades).</summary>
    public bool KeepAlive { get; set; }

    /// <summary>True once the current response's head has been sent.</summary>
    public bool HasStarted => _started;

    /// <summary>True while a buffer is rented (false for an idle connection).</summary>
    public bool HoldsBuffer => _out.Length > 0;

    /// <summary>Body bytes of the current response sent so far (chunk framing not counted), for the access log.</summary>
    public long BodyBytesSent => _sent;

    /// <summary>Makes <paramref name="response"/> the current response.</summary>
    /// <param name="response">The response the handler fills.</param>
    /// <param name="headOnly">A HEAD request: measure the body, send none.</param>
    /// <param name="http10">An HTTP/1.0 client (no chunked coding).</param>
    /// <param name="keepAlive">Whether the request lets the connection stay open.</param>
    public void Begin(HttpResponse response, bool headOnly, bool http10, bool keepAlive)
    {
        if (_out.Length == 0)
        {
            _out = _server.Spares.RentOutput(HeadReserve + _options.ResponseBufferSize + 2);
        }

        _response = response;
        _headOnly = headOnly;
        _http10 = http10;
        KeepAlive = keepAlive;
        _started = false;
        _complete = false;
        _chunked = false;
        _bodyLen = 0;
        _headBodyLength = 0;
        _declared = -1;
        _sent = 0;
    }

    /// <summary>True if <paramref name="response"/>'s head was sent (a response that is not current any more is done).</summary>
    public bool IsStarted(HttpResponse response) => !ReferenceEquals(response, _response) || _started;

    /// <summary>Throws unless <paramref name="response"/> is current and not complete.</summary>
    public void CheckWritable(HttpResponse response)
    {
        if (!ReferenceEquals(response, _response) || _complete)
        {
            throw new InvalidOperationException("This response is complete: a handler cannot write to it after it has returned.");
        }
    }

    public ValueTask WriteAsync(HttpResponse response, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        CheckWritable(response);
        if (_headOnly || HttpStatus.HasNoBody(response.StatusCode))
        {
            _headBodyLength += data.Length; // HEAD: measured for Content-Length, never sent
            return default;
        }

        if (!_started)
        {
            if (_bodyLen + data.Length <= _out.Length - HeadReserve - 2)
            {
                data.Span.CopyTo(_out.AsSpan(HeadReserve + _bodyLen));
                _bodyLen += data.Length;
                return default;
            }

            return StartThenSendAsync(response, data, cancellationToken);
        }

        return SendBodyAsync(data, cancellationToken);
    }

    public ValueTask WriteAsync(HttpResponse response, string text, CancellationToken cancellationToken)
    {
        CheckWritable(response);
        int room = _out.Length - HeadReserve - 2 - _bodyLen;
        if (!_started && !_headOnly && text.Length * 3 <= room)
        {
            _bodyLen += HttpResponse.Utf8.GetBytes(text, _out.AsSpan(HeadReserve + _bodyLen));
            return default;
        }

        return WriteAsync(response, HttpResponse.Utf8.GetBytes(text), cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask FlushAsync(HttpResponse response, CancellationToken cancellationToken)
    {
        CheckWritable(response);
        if (!_started)
        {
            await StartAsync(response, final: false, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Ends the current response; false if the connection must close (a body shorter than declared).</summary>
    /// <remarks>Not an async method on the usual path: a buffered response whose single write completes at once.</remarks>
    public ValueTask<bool> CompleteAsync()
    {
        if (_started)
        {
            return CompleteStartedAsync();
        }

        ValueTask start;
        try
        {
            start = StartAsync(_response!, final: true, default);
        }
        catch (InvalidOperationException)
        {
            // A framing error, thrown before anything was sent or changed but the keep-alive flag
            // (which it clears the same way again): the general path meets it again and answers 500.
            return CompleteStartedAsync();
        }

        if (start.IsCompleted)
        {
            try
            {
                start.GetAwaiter().GetResult();
            }
            finally
            {
                _complete = true;
            }

            return new ValueTask<bool>(KeepAlive);
        }

        return FinishCompleteAsync(start);
    }

    /// <summary>Waits for the write of a response that was started by <see cref="CompleteAsync"/>, then ends it.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> FinishCompleteAsync(ValueTask start)
    {
        try
        {
            await start; // with the context, as a stream's operation is: the head's write did not complete at once (rare)
        }
        finally
        {
            _complete = true;
        }

        return KeepAlive;
    }

    /// <summary>Ends the current response in every other case: its head already sent, or a framing error to answer.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> CompleteStartedAsync()
    {
        HttpResponse response = _response!;
        try
        {
            if (!_started)
            {
                await StartAsync(response, final: true, default).ConfigureAwait(false);
            }
            else if (_chunked && !_headOnly)
            {
                await WriteRawAsync(s_lastChunk, default).ConfigureAwait(false); // a HEAD response has no body, not even the last chunk
            }
            else if (_declared >= 0 && _sent < _declared && !_headOnly)
            {
                _server.ReportHandlerError(new InvalidOperationException(
                    $"The handler declared Content-Length {_declared} but wrote only {_sent} bytes; the connection was closed."));
                return false;
            }
        }
        catch (InvalidOperationException e) when (!_started)
        {
            // A length that does not match the body: the handler's bug, answered with 500.
            _server.ReportHandlerError(e);
            await ReplaceWithErrorAsync(HttpStatusCode.InternalServerError, "Internal Server Error").ConfigureAwait(false);
            await StartAsync(response, final: true, default).ConfigureAwait(false);
        }
        finally
        {
            _complete = true;
        }

        return KeepAlive;
    }

    /// <summary>Answers a rejection: its status, its sentence and the header it asks for (a 426's <c>Sec-WebSocket-Version</c>); the connection will close.</summary>
    public ValueTask ReplaceWithErrorAsync(HttpBadRequestException rejection)
        => ReplaceWithErrorAsync((HttpStatusCode)rejection.StatusCode, rejection.Message, rejection.Reason is { } reason ? HttpRejection.HeaderFor(reason) : null);

    /// <summary>The server's answer replaces whatever the handler had set and written (nothing was sent yet); the connection will close.</summary>
    public ValueTask ReplaceWithErrorAsync(HttpStatusCode status, string message, (string Name, string Value)? header = null)
    {
        HttpResponse response = _response!;
        response.ResetForError((int)status);
        response.ContentType = "text/plain; charset=utf-8";
        if (header is { } field)
        {
            response.Headers[field.Name] = field.Value;
        }

        KeepAlive = false;
        _bodyLen = 0;
        _headBodyLength = 0;
        return WriteAsync(response, message + "\n", default);
    }

    /// <summary>The head went out by other means (a protocol switch): no more response on this connection.</summary>
    public void MarkUpgraded()
    {
        _started = true;
        KeepAlive = false;
    }

    /// <summary>Writes bytes as they are (an interim response, a handshake), held to the I/O timeout and the minimum response data rate.</summary>
    public ValueTask WriteRawAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        ValueTask write = Transport.WriteAsync(data, cancellationToken);
        if (write.IsCompleted)
        {
            write.GetAwaiter().GetResult();
            return default;
        }

        return _stall.GuardAsync(write, data.Length);
    }

    /// <summary>Returns the buffer to the pool (the response is complete or the connection upgraded; <see cref="Begin"/> rents it again).</summary>
    public void Release()
    {
        if (_complete)
        {
            _response = null; // done: not current any more, so it may neither write nor be kept alive by an idle connection
        }

        if (_out.Length > 0)
        {
            _server.Spares.ReturnOutput(_out);
            _out = [];
        }
    }

    /// <summary>Returns the buffer to the pool.</summary>
    public void Dispose() => Release();

    /// <summary>
    /// Its connection is done with this writer: no response is current any more (one a handler kept
    /// cannot write, even while this writer serves another connection), the buffer goes back to the pool.
    /// </summary>
    public void Unbind()
    {
        _response = null;
        _complete = true;
        _started = false;
        Release();
        Transport = Stream.Null;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask StartThenSendAsync(HttpResponse response, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        await StartAsync(response, final: false, cancellationToken).ConfigureAwait(false);
        await SendBodyAsync(data, cancellationToken).ConfigureAwait(false);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendBodyAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (data.IsEmpty)
        {
            return;
        }

        if (_chunked)
        {
            int prefix = ChunkPrefix(data.Length, _out);
            if (prefix + data.Length + 2 <= _out.Length)
            {
                data.Span.CopyTo(_out.AsSpan(prefix));
                "\r\n"u8.CopyTo(_out.AsSpan(prefix + data.Length));
                await WriteRawAsync(_out.AsMemory(0, prefix + data.Length + 2), cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await WriteRawAsync(_out.AsMemory(0, prefix), cancellationToken).ConfigureAwait(false);
                await WriteRawAsync(data, cancellationToken).ConfigureAwait(false);
                await WriteRawAsync(s_crlf, cancellationToken).ConfigureAwait(false);
            }

            _sent += data.Length;
            return;
        }

        if (_declared >= 0 && _sent + data.Length > _declared)
        {
            throw new InvalidOperationException($"The response declared Content-Length {_declared}; writing {data.Length} more bytes after {_sent} would exceed it.");
        }

        await WriteRawAsync(data, cancellationToken).ConfigureAwait(false);
        _sent += data.Length;
    }

    private static int ChunkPrefix(int length, Span<byte> destination)
    {
        Utf8Formatter.TryFormat(length, destination, out int n, 'X');
        "\r\n"u8.CopyTo(destination[n..]);
        return n + 2;
    }

    /// <summary>Sends the head (and the buffered body); <paramref name="final"/>: the handler has returned, so the body is complete.</summary>
    /// <remarks>Not an async method: a head that fits goes out with the body in one write, whose ValueTask is returned as it is; errors in framing throw here.</remarks>
    private ValueTask StartAsync(HttpResponse response, bool final, CancellationToken cancellationToken)
    {
        int status = response.StatusCode;
        long? length = Framing(response, status, final);
        if (_server.Stopping)
        {
            KeepAlive = false; // a response sent while the server drains is the connection's last: it says so
        }

        var fields = new ResponseHead(status, response.ReasonPhrase, response.ContentType, response.HeadersIfAny, length, _chunked, KeepAlive, _http10, _options.ServerHeader);

        byte[]? rented = null;
        ReadOnlySpan<byte> dateLine = _options.SendDateHeader ? _server.DateLine : default;
        // A head that fits is rendered (or copied, if it repeats the last one) at the start of the
        // reserved gap, then moved to its end, against the body.
        Span<byte> head = _out.AsSpan(0, HeadReserve);
        int written = _server.RecentResponseHead.TryCopy(fields, dateLine, head);
        if (written < 0)
        {
            int headLength = fields.MeasureUpperBound();
            if (headLength > HeadReserve)
            {
                head = rented = ArrayPool<byte>.Shared.Rent(headLength);
            }

            written = fields.Render(head, dateLine);
            _server.RecentResponseHead.Remember(fields, dateLine, head[..written]);
        }

        _started = true;

        int body = _headOnly ? 0 : _bodyLen;
        if (_chunked && body > 0)
        {
            written += ChunkPrefix(body, head[written..]);
            "\r\n"u8.CopyTo(_out.AsSpan(HeadReserve + body));
            body += 2;
        }

        _sent = _bodyLen;
        _bodyLen = 0;
        if (rented is null)
        {
            head[..written].CopyTo(_out.AsSpan(HeadReserve - written));
            return WriteRawAsync(_out.AsMemory(HeadReserve - written, written + body), cancellationToken);
        }

        return SendLargeHeadAsync(rented, written, body, cancellationToken);
    }

    /// <summary>Sends a head too large for the reserved gap (rendered in <paramref name="rented"/>, returned to the pool after), then the buffered body.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendLargeHeadAsync(byte[] rented, int written, int body, CancellationToken cancellationToken)
    {
        try
        {
            await WriteRawAsync(rented.AsMemory(0, written), cancellationToken).ConfigureAwait(false);
            if (body > 0)
            {
                await WriteRawAsync(_out.AsMemory(HeadReserve, body), cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Decides how the body is delimited: the length to declare, or null (then chunked, or closed by the connection's end).</summary>
    /// <exception cref="InvalidOperationException">The declared length is malformed, or does not match a complete body.</exception>
    private long? Framing(HttpResponse response, int status, bool final)
    {
        long? declared = response.ContentLength;
        HttpHeaders? headers = response.HeadersIfAny;
        if (declared is null && headers?["Content-Length"] is { } userLength)
        {
            declared = long.TryParse(userLength, out long l) && l >= 0
                ? l
                : throw new InvalidOperationException($"The response's Content-Length header \"{userLength}\" is not a non-negative integer.");
        }

        if (headers?.ContainsToken("Connection", "close") == true)
        {
            KeepAlive = false;
        }

        if (HttpStatus.HasNoBody(status))
        {
            _bodyLen = 0;
            return null;
        }

        if (final)
        {
            long measured = _headOnly ? _headBodyLength : _bodyLen;
            if (declared is { } d && d != measured && !(_headOnly && _headBodyLength == 0))
            {
                throw new InvalidOperationException($"The response declared Content-Length {d} but its body is {measured} bytes.");
            }

            return declared ?? measured;
        }

        if (declared is { } length)
        {
            _declared = length;
            return length;
        }

        if (_http10)
        {
            KeepAlive = false; // HTTP/1.0 without a length: the body ends when the connection closes
        }
        else
        {
            _chunked = true;
        }

        return null;
    }
}
