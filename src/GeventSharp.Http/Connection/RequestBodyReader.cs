using System.Buffers;
using System.Runtime.CompilerServices;

namespace GeventSharp.Http;

/// <summary>
/// A request's body as the handler reads it (<see cref="HttpRequest.Body"/>): read-only,
/// forward-only, with the <c>Content-Length</c> or chunked framing undone, straight from the
/// connection's input.
/// </summary>
/// <remarks>
/// It sends <c>100 Continue</c> before the first read when the client asked for it, and holds
/// each wait for the client to <see cref="HttpServerOptions.IoTimeout"/> and
/// <see cref="HttpServerOptions.MinRequestBodyDataRate"/>. Once the request is
/// over (<see cref="End"/>) it refuses to read: the bytes behind it belong to the next request.
/// </remarks>
internal sealed class RequestBodyReader : Stream
{
    /// <summary>The body of every request without one (and without <c>Expect: 100-continue</c>): nothing to read, nothing to allocate.</summary>
    public static readonly RequestBodyReader Empty = new(null, null, null, contentLength: 0, default, expectContinue: false);

    private static readonly byte[] s_continue = "HTTP/1.1 100 Continue\r\n\r\n"u8.ToArray();

    private readonly ConnectionInput? _input;
    private readonly ResponseWriter? _writer;
    private readonly StallGuard? _stall;
    private readonly bool _chunked;
    private readonly bool _expectContinue;
    private ChunkedDecoder _chunks;
    private long _remaining;
    private bool _continueSent;
    private bool _over;

    private RequestBodyReader(ConnectionInput? input, ResponseWriter? writer, StallGuard? stall, long? contentLength, ChunkedDecoder chunks, bool expectContinue)
    {
        _input = input;
        _writer = writer;
        _stall = stall;
        _chunked = contentLength is null;
        _remaining = contentLength ?? 0;
        _chunks = chunks;
        _expectContinue = expectContinue;
    }

    /// <summary>True while some of the body has not been read.</summary>
    public bool HasUnread => _chunked ? !_chunks.IsComplete : _remaining > 0;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException("A request body's length is its ContentLength, if declared.");

    public override long Position
    {
        get => throw new NotSupportedException("A request body cannot seek.");
        set => throw new NotSupportedException("A request body cannot seek.");
    }

    /// <summary>The body of a request whose framing the head declares (RFC 9112 §6).</summary>
    /// <param name="headers">The request's header fields.</param>
    /// <param name="http11">HTTP/1.1 (else 1.0, which has no chunked coding and no 100-continue).</param>
    /// <param name="options">The server's limits.</param>
    /// <param name="input">The connection's input, where the body is.</param>
    /// <param name="writer">The connection's response writer, for <c>100 Continue</c>.</param>
    /// <param name="stall">The connection's guard, which counts the body's bytes for its minimum data rate.</param>
    /// <param name="contentLength">The declared length; null for a chunked body.</param>
    /// <param name="known">Which known names the parsed head has (<c>default</c>: look every one up).</param>
    /// <exception cref="HttpBadRequestException">The framing is ambiguous, unsupported or over the limit.</exception>
    public static RequestBodyReader Open(HttpHeaders headers, bool http11, HttpServerOptions options, ConnectionInput input, ResponseWriter writer, StallGuard stall, out long? contentLength, KnownFields known = default)
    {
        bool expectContinue = http11 && string.Equals(known.Get(headers, KnownField.Expect, "Expect"), "100-continue", StringComparison.OrdinalIgnoreCase);
        string? te = known.Get(headers, KnownField.TransferEncoding, "Transfer-Encoding");
        string? cl = known.Get(headers, KnownField.ContentLength, "Content-Length");
        contentLength = 0;
        if (te is not null)
        {
            if (!http11)
            {
                throw HttpRejection.Create(RejectReason.TransferEncodingInHttp10);
            }

            if (cl is not null)
            {
                throw HttpRejection.Create(RejectReason.ContentLengthAndTransferEncoding);
            }

            if (!te.Trim().Equals("chunked", StringComparison.OrdinalIgnoreCase))
            {
                throw HttpRejection.Create(RejectReason.TransferEncodingNotSupported, te);
            }

            contentLength = null;
            return new RequestBodyReader(input, writer, stall, null, new ChunkedDecoder(options.MaxRequestBodySize, options.MaxRequestHeadSize), expectContinue);
        }

        if (cl is not null)
        {
            long length = ParseContentLength(cl);
            if (length > options.MaxRequestBodySize)
            {
                throw HttpRejection.Create(RejectReason.ContentLengthTooLarge, length, options.MaxRequestBodySize);
            }

            contentLength = length;
        }

        return contentLength == 0 && !expectContinue ? Empty : new RequestBodyReader(input, writer, stall, contentLength, default, expectContinue);
    }

    /// <summary>The value of a <c>Content-Length</c> field; repeated fields arrive joined ("5, 5") and must all agree.</summary>
    public static long ParseContentLength(string value)
    {
        long result = -1;
        foreach (Range r in value.AsSpan().Split(','))
        {
            ReadOnlySpan<char> digits = value.AsSpan()[r].Trim(" \t");
            if (digits.IsEmpty || digits.Length > 18 || digits.IndexOfAnyExceptInRange('0', '9') >= 0
                || (result >= 0 && long.Parse(digits) != result))
            {
                throw HttpRejection.Create(RejectReason.ContentLengthInvalid, value);
            }

            result = long.Parse(digits);
        }

        return result;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_over)
        {
            throw new ObjectDisposedException(nameof(HttpRequest.Body), "This request is over: its body can be read only while its handler runs.");
        }

        if (_expectContinue && !_continueSent && !_writer!.HasStarted)
        {
            _continueSent = true;
            await _writer.WriteRawAsync(s_continue, cancellationToken).ConfigureAwait(false);
        }

        if (buffer.IsEmpty || !HasUnread)
        {
            return 0;
        }

        if (!_chunked)
        {
            await _input!.EnsureAsync(RejectReason.ClosedInBody).ConfigureAwait(false);
            int take = (int)Math.Min(Math.Min(buffer.Length, _input.Count), _remaining);
            _input.Buffered[..take].CopyTo(buffer.Span);
            _input.Consume(take);
            _remaining -= take;
            _stall!.NoteBodyBytes(take);
            return take;
        }

        while (true)
        {
            OperationStatus status = _chunks.Decode(_input!.Buffered, buffer.Span, out int consumed, out int written);
            _input.Consume(consumed);
            if (written > 0 || status == OperationStatus.Done)
            {
                _stall!.NoteBodyBytes(written);
                return written; // data before a malformed line is delivered; the next read reports it
            }

            if (status == OperationStatus.InvalidData)
            {
                throw _chunks.CreateRejection();
            }

            if (_chunks.InChunkData)
            {
                await _input.EnsureAsync(RejectReason.ClosedInChunkData).ConfigureAwait(false);
            }
            else if (await _input.FillAsync(ChunkedDecoder.MaxLine + 2, guarded: true).ConfigureAwait(false) == 0)
            {
                throw HttpRejection.Create(RejectReason.ClosedInBody);
            }
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count)
        => throw new NotSupportedException("Read the body with ReadAsync: a synchronous read would block the hub.");

    /// <summary>
    /// Reads and drops what the handler left of the body, so the next request can be read; false
    /// if that is more than <paramref name="limit"/> bytes, malformed, or not sent yet because the
    /// client waits for a <c>100 Continue</c> it never got (the connection must close instead).
    /// </summary>
    /// <remarks>Not an async method: a body read to its end (or none, the usual case) has nothing to skip.</remarks>
    public ValueTask<bool> SkipRestAsync(int limit) => HasUnread ? SkipUnreadAsync(limit) : new ValueTask<bool>(true);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> SkipUnreadAsync(int limit)
    {
        if (_expectContinue && !_continueSent)
        {
            return false;
        }

        byte[] scratch = ArrayPool<byte>.Shared.Rent(8192);
        try
        {
            long skipped = 0;
            int n;
            while (skipped <= limit && (n = await ReadAsync(scratch, default).ConfigureAwait(false)) > 0)
            {
                skipped += n;
            }

            return skipped <= limit;
        }
        catch (HttpBadRequestException)
        {
            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    /// <summary>The request is over: later reads fail instead of taking the next request's bytes.</summary>
    public void End() => _over = this != Empty;

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("A request body cannot seek.");

    public override void SetLength(long value) => throw new NotSupportedException("A request body cannot be resized.");

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("A request body is read-only.");
}
