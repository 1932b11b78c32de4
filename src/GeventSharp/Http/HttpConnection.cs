using System.Buffers;
using System.Buffers.Text;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;

namespace GeventSharp.Http;

/// <summary>
/// One client connection of an <see cref="HttpServer"/>: reads requests one after another
/// (keep-alive, pipelining), runs the handler for each and frames its response.
/// </summary>
/// <remarks>
/// <para>Awaits of this class's own async methods use <c>ConfigureAwait(false)</c>: they
/// complete on the hub thread inside the connection's greenlet (every stream operation they wrap
/// resumes there), so their continuations run inline instead of each taking a trip through the
/// greenlet's synchronization context and the ready queue. Awaits of the stream and of the user's
/// handler keep the context, since those may complete elsewhere. Every method awaited that way must use
/// <see cref="PoolingAsyncValueTaskMethodBuilder"/>: its continuations run inline, whereas a plain
/// <c>async ValueTask</c> that completes asynchronously is a <see cref="Task"/>, and a task refuses
/// to inline a <c>ConfigureAwait(false)</c> continuation under the greenlet's synchronization
/// context: it queues it to the thread pool, and the connection's code would go on off the hub.</para>
/// <para>Input: one buffer per connection holds the head being parsed, then the body, then
/// whatever the client pipelined after it. Output: the response body is buffered after a
/// reserved gap; when the handler returns, the head is written into the gap just before the
/// body so head and body leave in a single write.</para>
/// </remarks>
internal sealed class HttpConnection
{
    private const int HeadReserve = 1024;
    private const int InitialInput = 4096;
    private const int MaxChunkLine = 4096;
    private const int MaxDrain = 64 * 1024;

    private static readonly byte[] s_continue = "HTTP/1.1 100 Continue\r\n\r\n"u8.ToArray();
    private static readonly byte[] s_lastChunk = "0\r\n\r\n"u8.ToArray();
    private static readonly byte[] s_crlf = "\r\n"u8.ToArray();

    private readonly HttpServer _server;
    private readonly Stream _stream;
    private readonly EndPoint? _peer;
    private readonly HttpServerOptions _options;
    private byte[] _in;
    private int _inStart;
    private int _inEnd;
    private byte[] _out;
    private Timeout? _idle;
    private Timeout? _io;

    // The request being served.
    private HttpRequestBody? _body;
    private HttpResponse? _response;
    private string _version = "HTTP/1.1";
    private bool _keepAlive;
    private bool _headOnly;
    private bool _expectContinue;
    private bool _continueSent;
    private bool _chunkedIn;
    private ChunkState _chunkState;
    private long _inRemaining;
    private long _inTotal;

    // Its response.
    private int _bodyLen;
    private int _trailerBytesLeft;
    private long _headBodyLength;
    private bool _outChunked;
    private long _outDeclared;
    private long _outSent;
    private bool _complete;
    private HttpRequest? _request;
    private WebSocket? _webSocket;

    private enum ChunkState : byte
    {
        Size,
        Data,
        DataEnd,
        Trailers,
        Done,
    }

    public HttpConnection(HttpServer server, Stream stream, EndPoint? peer, HttpServerOptions options)
    {
        _server = server;
        _stream = stream;
        _peer = peer;
        _options = options;
        _in = ArrayPool<byte>.Shared.Rent(InitialInput);
        _out = ArrayPool<byte>.Shared.Rent(HeadReserve + options.ResponseBufferSize + 2);
    }

    /// <summary>True while waiting for the first byte of the next request (a stop may close it at once).</summary>
    public bool Idle { get; private set; }

    public Greenlet? Greenlet { get; private set; }

    public async Task RunAsync()
    {
        Greenlet = Greenlet.Current;
        try
        {
            while (await ServeOneAsync().ConfigureAwait(false))
            {
            }
        }
        catch (Exception e) when (IsConnectionError(e) || e is ObjectDisposedException || IsIoTimeout(e))
        {
            // The client went away (reset, closed mid-request or mid-WebSocket) or stalled: nothing to answer.
        }
        finally
        {
            _idle?.Cancel();
            _io?.Cancel();
            _webSocket?.Dispose(); // also when the handler failed after accepting it (its keep-alive timer stops)
            ArrayPool<byte>.Shared.Return(_in);
            ArrayPool<byte>.Shared.Return(_out);
            _in = _out = [];
        }
    }

    /// <summary>Reads one request and answers it; false when the connection should close.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> ServeOneAsync()
    {
        Idle = _inEnd == _inStart;
        if (Idle && _server.Stopping)
        {
            return false;
        }

        int headLength;
        _idle ??= new Timeout(_options.KeepAliveTimeout);
        _idle.Start();
        try
        {
            headLength = await ReadHeadAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (_idle.Caused(e))
        {
            if (_inEnd > _inStart)
            {
                await SendErrorAsync(408, "The request head did not arrive in time.").ConfigureAwait(false);
            }

            return false;
        }
        catch (HttpBadRequestException e)
        {
            await SendErrorAsync(e.StatusCode, e.Message).ConfigureAwait(false);
            return false;
        }
        finally
        {
            _idle.Cancel();
            Idle = false;
        }

        if (headLength < 0)
        {
            return false; // closed by the client between requests (or mid-head: nothing to answer)
        }

        HttpRequest request;
        try
        {
            request = StartRequest(headLength);
        }
        catch (HttpBadRequestException e)
        {
            await SendErrorAsync(e.StatusCode, e.Message).ConfigureAwait(false);
            return false;
        }

        var response = new HttpResponse(this);
        BeginResponse(response, headOnly: request.Method == "HEAD");
        try
        {
            await _server.Handler(request, response);
        }
        catch (HttpBadRequestException e) when (!response.HasStarted)
        {
            await ReplaceWithErrorAsync(response, e.StatusCode, e.Message).ConfigureAwait(false);
        }
        catch (Exception e) when (IsIoTimeout(e))
        {
            // The client stalled: a body that stopped arriving gets 408 if nothing was sent; otherwise just close.
            if (!response.HasStarted && _inRemaining + (_chunkedIn && _chunkState != ChunkState.Done ? 1 : 0) > 0)
            {
                await SendErrorAsync(408, "The request body stopped arriving.").ConfigureAwait(false);
            }

            return false;
        }
        catch (Exception e) when (e is not GreenletExit && !IsConnectionError(e))
        {
            _server.ReportHandlerError(e);
            if (response.HasStarted)
            {
                return false; // half a response went out: closing is the only honest end
            }

            await ReplaceWithErrorAsync(response, 500, "Internal Server Error").ConfigureAwait(false);
        }

        if (_webSocket is not null)
        {
            _webSocket.Dispose(); // the handler is done with it; the connection ends with the handler
            return false;
        }

        if (!await CompleteResponseAsync(response).ConfigureAwait(false))
        {
            return false;
        }

        _server.NoteRequestServed();
        return _keepAlive && !_server.Stopping && await SkipUnreadBodyAsync().ConfigureAwait(false);
    }

    /// <summary>The client went away: not the handler's fault, so not reported.</summary>
    private static bool IsConnectionError(Exception e)
        => e is SocketException or IOException { InnerException: SocketException }
            or WebSocketException { WebSocketErrorCode: WebSocketError.ConnectionClosedPrematurely };

    // ---- request head ----

    /// <summary>Reads until a whole head is buffered; its length (without the empty line), or -1 at end of stream.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReadHeadAsync()
    {
        while (true)
        {
            // RFC 9112 §2.2: ignore empty lines before a request line.
            while (_inEnd - _inStart >= 2 && _in[_inStart] == '\r' && _in[_inStart + 1] == '\n')
            {
                _inStart += 2;
            }

            int found = _in.AsSpan(_inStart, _inEnd - _inStart).IndexOf("\r\n\r\n"u8);
            if (found >= 0 && found <= _options.MaxRequestHeadSize)
            {
                return found;
            }

            if (found >= 0 || _inEnd - _inStart >= _options.MaxRequestHeadSize)
            {
                throw new HttpBadRequestException(431, $"The request line and headers are longer than {_options.MaxRequestHeadSize} bytes.");
            }

            if (await FillAsync(_options.MaxRequestHeadSize + 4).ConfigureAwait(false) == 0)
            {
                return -1;
            }
        }
    }

    /// <summary>Parses the buffered head and sets up the body's framing.</summary>
    private HttpRequest StartRequest(int headLength)
    {
        RequestHead head = HttpRequestParser.Parse(_in.AsSpan(_inStart, headLength), _options.MaxRequestHeaderCount);
        _inStart += headLength + 4;
        HttpHeaders h = head.Headers;
        _version = head.Version;
        bool http11 = head.Version == "HTTP/1.1";
        _keepAlive = http11 ? !h.ContainsToken("Connection", "close") : h.ContainsToken("Connection", "keep-alive");
        _expectContinue = http11 && string.Equals(h["Expect"], "100-continue", StringComparison.OrdinalIgnoreCase);
        _continueSent = false;
        _inTotal = 0;
        _chunkedIn = false;
        _chunkState = ChunkState.Done;
        _inRemaining = 0;

        long? contentLength = 0;
        string? te = h["Transfer-Encoding"];
        string? cl = h["Content-Length"];
        if (te is not null)
        {
            if (!http11)
            {
                throw new HttpBadRequestException(400, "Malformed request: Transfer-Encoding in an HTTP/1.0 request.");
            }

            if (cl is not null)
            {
                throw new HttpBadRequestException(400, "Malformed request: both Content-Length and Transfer-Encoding (the framing would be ambiguous).");
            }

            if (!te.Trim().Equals("chunked", StringComparison.OrdinalIgnoreCase))
            {
                throw new HttpBadRequestException(501, $"Transfer-Encoding \"{te}\" is not supported; send the body with Content-Length or chunked.");
            }

            _chunkedIn = true;
            _chunkState = ChunkState.Size;
            contentLength = null;
        }
        else if (cl is not null)
        {
            long length = ParseContentLength(cl);
            if (length > _options.MaxRequestBodySize)
            {
                throw new HttpBadRequestException(413, $"The request body ({length} bytes) is larger than the server accepts ({_options.MaxRequestBodySize} bytes).");
            }

            _inRemaining = length;
            contentLength = length;
        }

        _body = new HttpRequestBody(this);
        _webSocket = null;
        return _request = new HttpRequest(head.Method, head.Target, head.Version, h, _body, contentLength, _peer);
    }

    private static long ParseContentLength(string value)
    {
        // Repeated fields arrive joined ("5, 5"): all must agree.
        long result = -1;
        foreach (Range r in value.AsSpan().Split(','))
        {
            ReadOnlySpan<char> digits = value.AsSpan()[r].Trim(" \t");
            if (digits.IsEmpty || digits.Length > 18 || digits.IndexOfAnyExceptInRange('0', '9') >= 0
                || (result >= 0 && long.Parse(digits) != result))
            {
                throw new HttpBadRequestException(400, $"Malformed request: Content-Length \"{value}\" is not one non-negative integer.");
            }

            result = long.Parse(digits);
        }

        return result;
    }

    // ---- request body ----

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> ReadBodyAsync(HttpRequestBody body, Memory<byte> destination, CancellationToken cancellationToken)
    {
        if (!ReferenceEquals(body, _body))
        {
            throw new ObjectDisposedException(nameof(HttpRequest.Body), "This request is over: its body can be read only while its handler runs.");
        }

        if (_expectContinue && !_continueSent && _response is { HasStarted: false })
        {
            _continueSent = true;
            await WriteAsync(s_continue, cancellationToken).ConfigureAwait(false);
        }

        if (destination.IsEmpty)
        {
            return 0;
        }

        if (!_chunkedIn)
        {
            if (_inRemaining == 0)
            {
                return 0;
            }

            await EnsureInputAsync("the request body").ConfigureAwait(false);
            int take = (int)Math.Min(Math.Min(destination.Length, _inEnd - _inStart), _inRemaining);
            _in.AsSpan(_inStart, take).CopyTo(destination.Span);
            _inStart += take;
            _inRemaining -= take;
            return take;
        }

        while (true)
        {
            switch (_chunkState)
            {
                case ChunkState.Size:
                {
                    int line = await ReadLineAsync().ConfigureAwait(false);
                    long size = ParseChunkSize(_in.AsSpan(_inStart, line));
                    _inStart += line + 2;
                    if (size == 0)
                    {
                        _chunkState = ChunkState.Trailers;
                        _trailerBytesLeft = _options.MaxRequestHeadSize; // trailers get the budget of a head
                        break;
                    }

                    if (_inTotal + size > _options.MaxRequestBodySize)
                    {
                        throw new HttpBadRequestException(413, $"The request body is larger than the server accepts ({_options.MaxRequestBodySize} bytes).");
                    }

                    _inRemaining = size;
                    _chunkState = ChunkState.Data;
                    break;
                }

                case ChunkState.Data:
                {
                    await EnsureInputAsync("a chunk of the request body").ConfigureAwait(false);
                    int take = (int)Math.Min(Math.Min(destination.Length, _inEnd - _inStart), _inRemaining);
                    _in.AsSpan(_inStart, take).CopyTo(destination.Span);
                    _inStart += take;
                    _inRemaining -= take;
                    _inTotal += take;
                    if (_inRemaining == 0)
                    {
                        _chunkState = ChunkState.DataEnd;
                    }

                    return take;
                }

                case ChunkState.DataEnd:
                {
                    int line = await ReadLineAsync().ConfigureAwait(false);
                    if (line != 0)
                    {
                        throw new HttpBadRequestException(400, "Malformed request: a chunk is longer than its declared size.");
                    }

                    _inStart += 2;
                    _chunkState = ChunkState.Size;
                    break;
                }

                case ChunkState.Trailers:
                {
                    int line = await ReadLineAsync().ConfigureAwait(false); // trailer fields are read and dropped
                    if (HasControlCharacter(_in.AsSpan(_inStart, line)))
                    {
                        throw new HttpBadRequestException(400, "Malformed request: a control character (or a bare CR or LF) in a trailer field.");
                    }

                    _inStart += line + 2;
                    _trailerBytesLeft -= line + 2;
                    if (_trailerBytesLeft < 0)
                    {
                        throw new HttpBadRequestException(431, $"The trailer fields are longer than {_options.MaxRequestHeadSize} bytes.");
                    }

                    if (line == 0)
                    {
                        _chunkState = ChunkState.Done;
                    }

                    break;
                }

                default:
                    return 0;
            }
        }
    }

    private static long ParseChunkSize(ReadOnlySpan<byte> line)
    {
        if (HasControlCharacter(line))
        {
            // A bare LF or CR in a chunk extension ends the line for a lenient parser but not for us:
            // two readings of one body, the root of request smuggling.
            throw new HttpBadRequestException(400, "Malformed request: a control character (or a bare CR or LF) in a chunk-size line.");
        }

        int semicolon = line.IndexOf((byte)';'); // chunk extensions are ignored
        ReadOnlySpan<byte> hex = (semicolon >= 0 ? line[..semicolon] : line).TrimEnd(" \t"u8);
        if (hex.IsEmpty || hex.Length > 15 || !Utf8Parser.TryParse(hex, out long size, out int used, 'X') || used != hex.Length)
        {
            throw new HttpBadRequestException(400, "Malformed request: a chunk size is not a hexadecimal number.");
        }

        return size;
    }

    /// <summary>True if <paramref name="line"/> holds a control character other than HTAB (CR and LF included).</summary>
    private static bool HasControlCharacter(ReadOnlySpan<byte> line)
        => line.IndexOfAnyInRange((byte)0x00, (byte)0x08) >= 0 || line.IndexOfAnyInRange((byte)0x0A, (byte)0x1F) >= 0 || line.Contains((byte)0x7F);

    /// <summary>Waits until a CRLF-terminated line is buffered; its length without the CRLF.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReadLineAsync()
    {
        while (true)
        {
            int end = _in.AsSpan(_inStart, _inEnd - _inStart).IndexOf("\r\n"u8);
            if (end >= 0)
            {
                return end;
            }

            if (_inEnd - _inStart > MaxChunkLine)
            {
                throw new HttpBadRequestException(400, "Malformed request: a chunk-size or trailer line is too long.");
            }

            if (await FillAsync(MaxChunkLine + 2, body: true).ConfigureAwait(false) == 0)
            {
                throw new HttpBadRequestException(400, "The connection closed in the middle of the request body.");
            }
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask EnsureInputAsync(string what)
    {
        if (_inEnd == _inStart && await FillAsync(_in.Length, body: true).ConfigureAwait(false) == 0)
        {
            throw new HttpBadRequestException(400, $"The connection closed in the middle of {what}.");
        }
    }

    /// <summary>Reads more input (growing the buffer up to <paramref name="limit"/>); the bytes read, 0 at end of stream.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> FillAsync(int limit, bool body = false)
    {
        if (_inStart == _inEnd)
        {
            _inStart = _inEnd = 0;
        }

        if (_inEnd == _in.Length)
        {
            if (_inStart > 0)
            {
                Buffer.BlockCopy(_in, _inStart, _in, 0, _inEnd - _inStart);
                _inEnd -= _inStart;
                _inStart = 0;
            }
            else if (_in.Length < limit)
            {
                byte[] bigger = ArrayPool<byte>.Shared.Rent(Math.Min(Math.Max(_in.Length * 2, InitialInput), limit));
                Buffer.BlockCopy(_in, 0, bigger, 0, _inEnd);
                ArrayPool<byte>.Shared.Return(_in);
                _in = bigger;
            }
        }

        ValueTask<int> read = _stream.ReadAsync(_in.AsMemory(_inEnd));
        int n = read.IsCompleted ? read.GetAwaiter().GetResult()
            : body ? await WithIoTimeoutAsync(read).ConfigureAwait(false)
            : await read;
        _inEnd += n;
        return n;
    }

    /// <summary>A write to the client that must make progress within <see cref="HttpServerOptions.IoTimeout"/>.</summary>
    private ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        ValueTask write = _stream.WriteAsync(data, cancellationToken);
        if (write.IsCompleted)
        {
            write.GetAwaiter().GetResult();
            return default;
        }

        return WithIoTimeoutAsync(write);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WithIoTimeoutAsync(ValueTask pending)
    {
        (_io ??= new Timeout(_options.IoTimeout)).Start();
        try
        {
            await pending;
        }
        finally
        {
            _io.Cancel();
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> WithIoTimeoutAsync(ValueTask<int> pending)
    {
        (_io ??= new Timeout(_options.IoTimeout)).Start();
        try
        {
            return await pending;
        }
        finally
        {
            _io.Cancel();
        }
    }

    /// <summary>True if <paramref name="e"/> is the I/O timeout firing: the client stalled.</summary>
    private bool IsIoTimeout(Exception e) => _io is not null && _io.Caused(e);

    /// <summary>Skips what the handler left of the body, so the next request can be read; false if that is too much (close instead).</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> SkipUnreadBodyAsync()
    {
        bool unread = _chunkedIn ? _chunkState != ChunkState.Done : _inRemaining > 0;
        if (!unread)
        {
            return true;
        }

        if (_expectContinue && !_continueSent)
        {
            return false; // the client may be waiting for 100 Continue before it sends the body
        }

        byte[] scratch = ArrayPool<byte>.Shared.Rent(8192);
        try
        {
            long skipped = 0;
            int n;
            while (skipped <= MaxDrain && (n = await ReadBodyAsync(_body!, scratch, default).ConfigureAwait(false)) > 0)
            {
                skipped += n;
            }

            return skipped <= MaxDrain;
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

    // ---- WebSocket ----

    private const string WebSocketGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    public static bool IsWebSocketRequest(HttpRequest request)
        => request.Method == "GET"
            && request.Headers.ContainsToken("Connection", "upgrade")
            && request.Headers.ContainsToken("Upgrade", "websocket")
            && request.Headers.Contains("Sec-WebSocket-Key");

    /// <summary>Answers the upgrade (101) and turns the connection into a WebSocket (RFC 6455).</summary>
    public async ValueTask<WebSocket> AcceptWebSocketAsync(HttpResponse response, string? subProtocol, TimeSpan? keepAliveInterval)
    {
        CheckWritable(response);
        HttpRequest request = _request!;
        if (response.HasStarted)
        {
            throw new InvalidOperationException("The response head was already sent: accept the WebSocket before writing anything.");
        }

        if (!IsWebSocketRequest(request))
        {
            throw new HttpBadRequestException(400, "Not a WebSocket handshake: expected GET with Connection: Upgrade, Upgrade: websocket and Sec-WebSocket-Key.");
        }

        if (request.Headers["Sec-WebSocket-Version"] != "13")
        {
            response.Headers["Sec-WebSocket-Version"] = "13";
            throw new HttpBadRequestException(426, "Unsupported WebSocket version: this server speaks version 13 (RFC 6455).");
        }

        string key = request.Headers["Sec-WebSocket-Key"]!.Trim();
        Span<byte> decoded = stackalloc byte[24];
        if (!Convert.TryFromBase64String(key, decoded, out int keyLength) || keyLength != 16)
        {
            throw new HttpBadRequestException(400, "Malformed WebSocket handshake: Sec-WebSocket-Key is not 16 bytes in base64.");
        }

        if (subProtocol is not null && !request.Headers.ContainsToken("Sec-WebSocket-Protocol", subProtocol))
        {
            throw new InvalidOperationException($"The client did not offer the subprotocol \"{subProtocol}\" (it offered: {request.Headers["Sec-WebSocket-Protocol"] ?? "none"}).");
        }

        string accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + WebSocketGuid)));
        var head = new StringBuilder("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n");
        head.Append("Sec-WebSocket-Accept: ").Append(accept).Append("\r\n");
        if (subProtocol is not null)
        {
            head.Append("Sec-WebSocket-Protocol: ").Append(subProtocol).Append("\r\n");
        }

        foreach (KeyValuePair<string, string> f in response.Headers)
        {
            head.Append(f.Key).Append(": ").Append(f.Value).Append("\r\n");
        }

        head.Append("\r\n");
        response.HasStarted = true;
        _keepAlive = false;
        await WriteAsync(Encoding.Latin1.GetBytes(head.ToString()), default).ConfigureAwait(false);

        // Frames the client sent right behind its handshake are already in our buffer.
        Stream transport = _inEnd > _inStart ? new PrefixedStream(_in.AsSpan(_inStart, _inEnd - _inStart).ToArray(), _stream) : _stream;
        _inStart = _inEnd;
        _webSocket = WebSocket.CreateFromStream(transport, new WebSocketCreationOptions
        {
            IsServer = true,
            SubProtocol = subProtocol,
            KeepAliveInterval = keepAliveInterval ?? WebSocket.DefaultKeepAliveInterval,
        });
        return _webSocket;
    }

    // ---- response ----

    private void BeginResponse(HttpResponse response, bool headOnly)
    {
        _response = response;
        _headOnly = headOnly;
        _bodyLen = 0;
        _headBodyLength = 0;
        _outChunked = false;
        _outDeclared = -1;
        _outSent = 0;
        _complete = false;
    }

    public ValueTask WriteBodyAsync(HttpResponse response, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        CheckWritable(response);
        if (_headOnly || HttpStatus.HasNoBody(response.StatusCode))
        {
            _headBodyLength += data.Length; // HEAD: measured for Content-Length, never sent
            return default;
        }

        if (!response.HasStarted)
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

    public ValueTask WriteBodyAsync(HttpResponse response, string text, CancellationToken cancellationToken)
    {
        CheckWritable(response);
        int room = _out.Length - HeadReserve - 2 - _bodyLen;
        if (!response.HasStarted && !_headOnly && text.Length * 3 <= room)
        {
            _bodyLen += HttpResponse.Utf8.GetBytes(text, _out.AsSpan(HeadReserve + _bodyLen));
            return default;
        }

        return WriteBodyAsync(response, HttpResponse.Utf8.GetBytes(text), cancellationToken);
    }

    public async ValueTask FlushResponseAsync(HttpResponse response, CancellationToken cancellationToken)
    {
        CheckWritable(response);
        if (!response.HasStarted)
        {
            await StartAsync(response, final: false, cancellationToken).ConfigureAwait(false);
        }
    }

    private void CheckWritable(HttpResponse response)
    {
        if (!ReferenceEquals(response, _response) || _complete)
        {
            throw new InvalidOperationException("This response is complete: a handler cannot write to it after it has returned.");
        }
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

        if (_outChunked)
        {
            int prefix = ChunkPrefix(data.Length, _out);
            if (prefix + data.Length + 2 <= _out.Length)
            {
                data.Span.CopyTo(_out.AsSpan(prefix));
                "\r\n"u8.CopyTo(_out.AsSpan(prefix + data.Length));
                await WriteAsync(_out.AsMemory(0, prefix + data.Length + 2), cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await WriteAsync(_out.AsMemory(0, prefix), cancellationToken).ConfigureAwait(false);
                await WriteAsync(data, cancellationToken).ConfigureAwait(false);
                await WriteAsync(s_crlf, cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        if (_outDeclared >= 0 && _outSent + data.Length > _outDeclared)
        {
            throw new InvalidOperationException($"The response declared Content-Length {_outDeclared}; writing {data.Length} more bytes after {_outSent} would exceed it.");
        }

        await WriteAsync(data, cancellationToken).ConfigureAwait(false);
        _outSent += data.Length;
    }

    private static int ChunkPrefix(int length, Span<byte> destination)
    {
        Utf8Formatter.TryFormat(length, destination, out int n, 'X');
        "\r\n"u8.CopyTo(destination[n..]);
        return n + 2;
    }

    /// <summary>Sends the head (and the buffered body); <paramref name="final"/>: the handler has returned, so the body is complete.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask StartAsync(HttpResponse response, bool final, CancellationToken cancellationToken)
    {
        int status = response.StatusCode;
        bool noBody = HttpStatus.HasNoBody(status);
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
            _keepAlive = false;
        }

        long? length = null;
        if (noBody)
        {
            _bodyLen = 0;
        }
        else if (final)
        {
            long measured = _headOnly ? _headBodyLength : _bodyLen;
            if (declared is { } d && d != measured && !(_headOnly && _headBodyLength == 0))
            {
                throw new InvalidOperationException($"The response declared Content-Length {d} but its body is {measured} bytes.");
            }

            length = declared ?? measured;
        }
        else if (declared is { } d)
        {
            length = d;
            _outDeclared = d;
        }
        else if (_version == "HTTP/1.1")
        {
            _outChunked = true;
        }
        else
        {
            _keepAlive = false; // HTTP/1.0 without a length: the body ends when the connection closes
        }

        byte[]? rented = null;
        int headLength = MeasureHead(response);
        Span<byte> head = headLength <= HeadReserve ? stackalloc byte[HeadReserve] : (rented = ArrayPool<byte>.Shared.Rent(headLength));
        int written = RenderHead(response, status, length, head);
        response.HasStarted = true;

        int body = _headOnly ? 0 : _bodyLen;
        if (_outChunked && body > 0)
        {
            written += ChunkPrefix(body, head[written..]);
            "\r\n"u8.CopyTo(_out.AsSpan(HeadReserve + body));
            body += 2;
        }

        _outSent = _bodyLen;
        _bodyLen = 0;
        if (rented is null)
        {
            head[..written].CopyTo(_out.AsSpan(HeadReserve - written));
            await WriteAsync(_out.AsMemory(HeadReserve - written, written + body), cancellationToken).ConfigureAwait(false);
            return;
        }

        try
        {
            await WriteAsync(rented.AsMemory(0, written), cancellationToken).ConfigureAwait(false);
            if (body > 0)
            {
                await WriteAsync(_out.AsMemory(HeadReserve, body), cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>An upper bound of the head's size (Latin-1: one byte per char).</summary>
    private int MeasureHead(HttpResponse response)
    {
        int size = 64 + (response.ReasonPhrase?.Length ?? 40) + 40 + (_options.ServerHeader?.Length ?? 0) + 10 + 48 + 24 + 24
            + (response.ContentType?.Length ?? 0) + 16;
        if (response.HeadersIfAny is { } headers)
        {
            foreach (KeyValuePair<string, string> f in headers)
            {
                size += f.Key.Length + f.Value.Length + 4;
            }
        }

        return size;
    }

    private int RenderHead(HttpResponse response, int status, long? length, Span<byte> head)
    {
        int p = 0;
        p += Ascii("HTTP/1.1 ", head[p..]);
        Utf8Formatter.TryFormat(status, head[p..], out int n);
        p += n;
        head[p++] = (byte)' ';
        p += Latin1(response.ReasonPhrase ?? HttpStatus.ReasonPhrase(status), head[p..]);
        p += Ascii("\r\n", head[p..]);
        if (_options.SendDateHeader)
        {
            HttpDate.Current(_server.Hub).CopyTo(head[p..]);
            p += HttpDate.Length;
        }

        if (_options.ServerHeader is { } server)
        {
            p += Ascii("Server: ", head[p..]);
            p += Latin1(server, head[p..]);
            p += Ascii("\r\n", head[p..]);
        }

        if (response.ContentType is { } contentType)
        {
            p += Ascii("Content-Type: ", head[p..]);
            p += Latin1(contentType, head[p..]);
            p += Ascii("\r\n", head[p..]);
        }

        if (response.HeadersIfAny is { } headers)
        {
            foreach (KeyValuePair<string, string> f in headers)
            {
                if (f.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)
                    || f.Key.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase)
                    || f.Key.Equals("Connection", StringComparison.OrdinalIgnoreCase)
                    || f.Key.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
                {
                    continue; // framing and connection management are the server's; Content-Type was written above
                }

                p += Latin1(f.Key, head[p..]);
                p += Ascii(": ", head[p..]);
                p += Latin1(f.Value, head[p..]);
                p += Ascii("\r\n", head[p..]);
            }
        }

        if (length is { } len)
        {
            p += Ascii("Content-Length: ", head[p..]);
            Utf8Formatter.TryFormat(len, head[p..], out n);
            p += n;
            p += Ascii("\r\n", head[p..]);
        }
        else if (_outChunked)
        {
            p += Ascii("Transfer-Encoding: chunked\r\n", head[p..]);
        }

        if (!_keepAlive)
        {
            p += Ascii("Connection: close\r\n", head[p..]);
        }
        else if (_version == "HTTP/1.0")
        {
            p += Ascii("Connection: keep-alive\r\n", head[p..]);
        }

        p += Ascii("\r\n", head[p..]);
        return p;
    }

    private static int Ascii(string s, Span<byte> destination) => Encoding.ASCII.GetBytes(s, destination);

    private static int Latin1(string s, Span<byte> destination) => Encoding.Latin1.GetBytes(s, destination);

    /// <summary>Ends the response; false if the connection must close (a body shorter than declared).</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> CompleteResponseAsync(HttpResponse response)
    {
        try
        {
            if (!response.HasStarted)
            {
                await StartAsync(response, final: true, default).ConfigureAwait(false);
            }
            else if (_outChunked && !_headOnly)
            {
                await WriteAsync(s_lastChunk, default).ConfigureAwait(false); // a HEAD response has no body, not even the last chunk
            }
            else if (_outDeclared >= 0 && _outSent < _outDeclared && !_headOnly)
            {
                _server.ReportHandlerError(new InvalidOperationException(
                    $"The handler declared Content-Length {_outDeclared} but wrote only {_outSent} bytes; the connection was closed."));
                return false;
            }
        }
        catch (InvalidOperationException e) when (!response.HasStarted)
        {
            // A length that does not match the body: the handler's bug, answered with 500.
            _server.ReportHandlerError(e);
            await ReplaceWithErrorAsync(response, 500, "Internal Server Error").ConfigureAwait(false);
            await StartAsync(response, final: true, default).ConfigureAwait(false);
        }
        finally
        {
            _complete = true;
        }

        return _keepAlive;
    }

    private ValueTask ReplaceWithErrorAsync(HttpResponse response, int status, string message)
    {
        response.ResetForError(status);
        response.ContentType = "text/plain; charset=utf-8";
        _keepAlive = false;
        _bodyLen = 0;
        _headBodyLength = 0;
        return WriteBodyAsync(response, message + "\n", default);
    }

    /// <summary>Answers a request that could not be read (400, 408, 413, 431, 501, 505) and ends the connection.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendErrorAsync(int status, string message)
    {
        var response = new HttpResponse(this);
        BeginResponse(response, headOnly: false);
        try
        {
            await ReplaceWithErrorAsync(response, status, message).ConfigureAwait(false);
            await CompleteResponseAsync(response).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            // the client is gone already
        }
    }
}
