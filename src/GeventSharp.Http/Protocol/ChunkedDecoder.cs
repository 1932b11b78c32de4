using System.Buffers;
using System.Buffers.Text;

namespace GeventSharp.Http;

/// <summary>
/// Undoes the chunked transfer coding of a request body (RFC 9112 §7.1): a state machine over
/// bytes, with no I/O, fed whatever the connection has buffered. Every rule about chunk-size
/// lines, the CRLF after a chunk's data and trailer fields lives here.
/// </summary>
/// <remarks>
/// <para>Lines are taken whole or not at all: a chunk-size line, the end of a chunk's data or a
/// trailer line that has not fully arrived is left unconsumed (<see cref="OperationStatus.NeedMoreData"/>)
/// so the caller can read more and call again with it at the front. Data is handed out as it
/// arrives, up to the destination's room.</para>
/// <para>It is strict, as the head parser is: a control character in a chunk-size line or trailer
/// (a bare CR or LF included) is refused rather than read one way here and another way by a
/// proxy in front; so is a trailer field that would not be a valid header field. A line is
/// checked as soon as its first bytes arrive, not only once its CRLF has: a bare LF is answered at
/// once. Chunk extensions are ignored and trailer fields are dropped.</para>
/// </remarks>
internal struct ChunkedDecoder
{
    /// <summary>The longest chunk-size or trailer line accepted, without its CRLF.</summary>
    public const int MaxLine = 4096;

    private static readonly SearchValues<byte> s_hexDigits = SearchValues.Create("0123456789abcdefABCDEF"u8);

    private readonly long _maxBodySize;
    private readonly int _maxTrailerSize;
    private State _state;
    private long _chunkLeft;
    private long _total;
    private int _trailerBytesLeft;

    /// <summary>A decoder at the start of a body.</summary>
    /// <param name="maxBodySize">The most data bytes accepted (413 beyond).</param>
    /// <param name="maxTrailerSize">The most bytes of trailer fields, CRLFs included (431 beyond).</param>
    public ChunkedDecoder(long maxBodySize, int maxTrailerSize)
    {
        _maxBodySize = maxBodySize;
        _maxTrailerSize = maxTrailerSize;
        _trailerBytesLeft = maxTrailerSize;
        _state = State.Size;
    }

    private enum State : byte
    {
        Size,
        Data,
        DataEnd,
        Trailers,
        Done,
        Invalid,
    }

    /// <summary>True once the last chunk and the trailers have been consumed.</summary>
    public readonly bool IsComplete => _state == State.Done;

    /// <summary>True while in a chunk's data: more input is data, not a line.</summary>
    public readonly bool InChunkData => _state == State.Data;

    /// <summary>The data bytes decoded so far.</summary>
    public readonly long BodyBytes => _total;

    /// <summary>Why the input was refused, after <see cref="OperationStatus.InvalidData"/>.</summary>
    public RejectReason Rejection { readonly get; private set; }

    /// <summary>
    /// Decodes from <paramref name="input"/> into <paramref name="destination"/> as far as both allow.
    /// </summary>
    /// <param name="input">Buffered bytes of the body, starting where the last call stopped consuming.</param>
    /// <param name="destination">Where the data goes.</param>
    /// <param name="consumed">Input bytes used: whole lines and copied data.</param>
    /// <param name="written">Data bytes written to <paramref name="destination"/>.</param>
    /// <returns>
    /// <see cref="OperationStatus.Done"/>: the body is complete. <see cref="OperationStatus.DestinationTooSmall"/>:
    /// the destination is full and more data follows. <see cref="OperationStatus.NeedMoreData"/>: the input
    /// ran out (what is left of it is part of a line). <see cref="OperationStatus.InvalidData"/>: the
    /// input breaks the coding, see <see cref="Rejection"/>; the decoder stays invalid.
    /// </returns>
    public OperationStatus Decode(ReadOnlySpan<byte> input, Span<byte> destination, out int consumed, out int written)
    {
        consumed = 0;
        written = 0;
        while (true)
        {
            ReadOnlySpan<byte> rest = input[consumed..];
            switch (_state)
            {
                case State.Data:
                {
                    int take = (int)Math.Min(Math.Min(rest.Length, destination.Length - written), _chunkLeft);
                    rest[..take].CopyTo(destination[written..]);
                    consumed += take;
                    written += take;
                    _chunkLeft -= take;
                    _total += take;
                    if (_chunkLeft == 0)
                    {
                        _state = State.DataEnd;
                        break;
                    }

                    return written == destination.Length ? OperationStatus.DestinationTooSmall : OperationStatus.NeedMoreData;
                }

                case State.Done:
                    return OperationStatus.Done;

                case State.Invalid:
                    return OperationStatus.InvalidData;

                default:
                {
                    int line = rest.IndexOf("\r\n"u8);
                    if (line < 0)
                    {
                        return rest.Length > MaxLine ? Reject(RejectReason.ChunkLineTooLong)
                            : CheckPartialLine(rest.EndsWith((byte)'\r') ? rest[..^1] : rest) ? OperationStatus.NeedMoreData
                            : OperationStatus.InvalidData;
                    }

                    if (line > MaxLine)
                    {
                        return Reject(RejectReason.ChunkLineTooLong); // however it arrived: whole or in pieces, as the partial check above
                    }

                    if (!TakeLine(rest[..line]))
                    {
                        return OperationStatus.InvalidData;
                    }

                    consumed += line + 2;
                    break;
                }
            }
        }
    }

    /// <summary>Applies one whole line (without its CRLF) in the current state; false if it is refused.</summary>
    private bool TakeLine(ReadOnlySpan<byte> line)
    {
        switch (_state)
        {
            case State.Size:
            {
                if (HasControlCharacter(line))
                {
                    return Fail(RejectReason.ChunkSizeLineControlCharacter);
                }

                int semicolon = line.IndexOf((byte)';'); // chunk extensions are ignored
                ReadOnlySpan<byte> hex = (semicolon >= 0 ? line[..semicolon] : line).TrimEnd(" \t"u8);
                if (hex.IsEmpty || hex.Length > 15 || !Utf8Parser.TryParse(hex, out long size, out int used, 'X') || used != hex.Length)
                {
                    return Fail(RejectReason.ChunkSizeNotHex);
                }

                if (size == 0)
                {
                    _state = State.Trailers;
                    return true;
                }

                if (_total + size > _maxBodySize)
                {
                    return Fail(RejectReason.ChunkedBodyTooLarge);
                }

                _chunkLeft = size;
                _state = State.Data;
                return true;
            }

            case State.DataEnd:
                if (!line.IsEmpty)
                {
                    return Fail(RejectReason.ChunkLongerThanDeclared);
                }

                _state = State.Size;
                return true;

            default: // trailer fields are checked like header fields, then dropped
                if (HasControlCharacter(line))
                {
                    return Fail(RejectReason.TrailerControlCharacter);
                }

                _trailerBytesLeft -= line.Length + 2;
                if (_trailerBytesLeft < 0)
                {
                    return Fail(RejectReason.TrailersTooLarge);
                }

                if (line.IsEmpty)
                {
                    _state = State.Done;
                    return true;
                }

                return HttpRequestParser.CheckField(line, out _, out _) is null || Fail(RejectReason.TrailerFieldMalformed);
        }
    }

    /// <summary>
    /// Checks the start of a line whose CRLF has not arrived (without a CR at its end, which may be
    /// the CRLF's first half): false, and invalid, if no more bytes could make it valid — a bare LF
    /// or other control character, a size that is not hex, data past a chunk's declared end — so
    /// the client is answered at once instead of the server waiting for a CRLF.
    /// </summary>
    private bool CheckPartialLine(ReadOnlySpan<byte> partial)
    {
        switch (_state)
        {
            case State.Size:
            {
                if (HasControlCharacter(partial))
                {
                    return Fail(RejectReason.ChunkSizeLineControlCharacter);
                }

                int semicolon = partial.IndexOf((byte)';');
                ReadOnlySpan<byte> size = semicolon >= 0 ? partial[..semicolon] : partial;
                ReadOnlySpan<byte> hex = size.TrimEnd(" \t"u8);
                bool ended = semicolon >= 0 || hex.Length < size.Length;
                return (!hex.ContainsAnyExcept(s_hexDigits) && hex.Length <= 15 && !(ended && hex.IsEmpty)) || Fail(RejectReason.ChunkSizeNotHex);
            }

            case State.DataEnd:
                return partial.IsEmpty || Fail(RejectReason.ChunkLongerThanDeclared);

            default:
            {
                if (HasControlCharacter(partial))
                {
                    return Fail(RejectReason.TrailerControlCharacter);
                }

                int colon = partial.IndexOf((byte)':');
                ReadOnlySpan<byte> name = colon >= 0 ? partial[..colon] : partial;
                return colon != 0 && !name.ContainsAnyExcept(HttpRequestParser.TokenChars) || Fail(RejectReason.TrailerFieldMalformed);
            }
        }
    }

    /// <summary>The exception that answers <see cref="Rejection"/>, with the limit it names.</summary>
    public readonly HttpBadRequestException CreateRejection()
        => HttpRejection.Create(Rejection, Rejection == RejectReason.TrailersTooLarge ? _maxTrailerSize : _maxBodySize);

    private OperationStatus Reject(RejectReason reason)
    {
        Fail(reason);
        return OperationStatus.InvalidData;
    }

    private bool Fail(RejectReason reason)
    {
        Rejection = reason;
        _state = State.Invalid;
        return false;
    }

    /// <summary>True if <paramref name="line"/> holds a control character other than HTAB (CR and LF included).</summary>
    private static bool HasControlCharacter(ReadOnlySpan<byte> line)
        => line.IndexOfAnyInRange((byte)0x00, (byte)0x08) >= 0 || line.IndexOfAnyInRange((byte)0x0A, (byte)0x1F) >= 0 || line.Contains((byte)0x7F);
}
