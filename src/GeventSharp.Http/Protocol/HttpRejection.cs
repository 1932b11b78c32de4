using System.Globalization;
using System.Net;

namespace GeventSharp.Http;

/// <summary>Why the server refuses a request: each reason has one status and one sentence (<see cref="HttpRejection"/>).</summary>
internal enum RejectReason
{
    // The request head.
    TlsHandshakeOnPlainPort,
    BareLineFeedInHead,
    ControlCharacterInHead,
    RequestLineTooLong,
    RequestLineNotThreeParts,
    MethodNotToken,
    InvalidTarget,
    VersionMalformed,
    VersionNotSupported,
    ObsoleteLineFolding,
    HeaderLineWithoutColon,
    WhitespaceBeforeColon,
    HeaderNameNotToken,
    ControlCharacterInHeaderValue,
    TooManyHeaderFields,
    HeadTooLarge,
    HeadTimedOut,

    // The host (RFC 9112 §3.2).
    HostMissing,
    HostRepeated,
    HostInvalid,
    TargetAuthorityInvalid,

    // The body's framing.
    TransferEncodingInHttp10,
    ContentLengthAndTransferEncoding,
    TransferEncodingNotSupported,
    ContentLengthInvalid,
    ContentLengthTooLarge,

    // The body.
    BodyStalled,
    BodyTooSlow,
    ClosedInBody,
    ClosedInChunkData,
    ChunkedBodyTooLarge,
    ChunkSizeLineControlCharacter,
    ChunkSizeNotHex,
    ChunkLineTooLong,
    ChunkLongerThanDeclared,
    TrailerControlCharacter,
    TrailerFieldMalformed,
    TrailersTooLarge,

    // What a handler asked of the request.
    NotAForm,
    UnknownCharset,
    NotAWebSocketHandshake,
    WebSocketVersionNotSupported,
    WebSocketKeyMalformed,
    WebSocketHandshakeWithBody,
}

/// <summary>
/// The one table from a <see cref="RejectReason"/> to the status and sentence the client gets.
/// Sentences say what was wrong in the client's terms; <c>{0}</c>, <c>{1}</c> are the details
/// (a limit, the offending value) passed to <see cref="Create"/>.
/// </summary>
internal static class HttpRejection
{
    private const string Malformed = "Malformed request: ";

    public static (HttpStatusCode Status, string Sentence) Describe(RejectReason reason) => reason switch
    {
        RejectReason.TlsHandshakeOnPlainPort => (HttpStatusCode.BadRequest, Malformed + "this is a TLS handshake on a plain HTTP port; use http://, or the server's HTTPS port."),

        // RFC 9112 §2.2 lets a recipient take a bare LF as a line end; a proxy in front that does
        // not would read another head, so it is refused as soon as it is seen.
        RejectReason.BareLineFeedInHead => (HttpStatusCode.BadRequest, Malformed + "a bare LF in the request head (lines must end with CRLF)."),
        RejectReason.ControlCharacterInHead => (HttpStatusCode.BadRequest, Malformed + "a control character (or a CR without its LF) in the request head."),
        RejectReason.RequestLineTooLong => (HttpStatusCode.RequestUriTooLong, "The request line is longer than {0} bytes."),
        RejectReason.RequestLineNotThreeParts => (HttpStatusCode.BadRequest, Malformed + "the request line is not METHOD TARGET VERSION."),
        RejectReason.MethodNotToken => (HttpStatusCode.BadRequest, Malformed + "the method is not a token."),
        RejectReason.InvalidTarget => (HttpStatusCode.BadRequest, Malformed + "the request target is empty or contains spaces or control characters."),
        RejectReason.VersionMalformed => (HttpStatusCode.BadRequest, Malformed + "the version is not HTTP/x.y."),
        RejectReason.VersionNotSupported => (HttpStatusCode.HttpVersionNotSupported, "HTTP version {0} is not supported; use HTTP/1.1."),
        RejectReason.ObsoleteLineFolding => (HttpStatusCode.BadRequest, Malformed + "a folded header line (obsolete line folding is not accepted)."),
        RejectReason.HeaderLineWithoutColon => (HttpStatusCode.BadRequest, Malformed + "a header line without a name and a colon."),
        RejectReason.WhitespaceBeforeColon => (HttpStatusCode.BadRequest, Malformed + "whitespace before a header's colon."),
        RejectReason.HeaderNameNotToken => (HttpStatusCode.BadRequest, Malformed + "a header name that is not a token."),
        RejectReason.ControlCharacterInHeaderValue => (HttpStatusCode.BadRequest, Malformed + "a control character in a header value."),
        RejectReason.TooManyHeaderFields => (HttpStatusCode.RequestHeaderFieldsTooLarge, "More than {0} header fields."),
        RejectReason.HeadTooLarge => (HttpStatusCode.RequestHeaderFieldsTooLarge, "The request line and headers are longer than {0} bytes."),
        RejectReason.HeadTimedOut => (HttpStatusCode.RequestTimeout, "The request head did not arrive in time."),

        RejectReason.HostMissing => (HttpStatusCode.BadRequest, Malformed + "an HTTP/1.1 request without a Host header."),
        RejectReason.HostRepeated => (HttpStatusCode.BadRequest, Malformed + "more than one Host header."),
        RejectReason.HostInvalid => (HttpStatusCode.BadRequest, Malformed + "the Host header \"{0}\" is not a host[:port]."),
        RejectReason.TargetAuthorityInvalid => (HttpStatusCode.BadRequest, Malformed + "the request target's authority \"{0}\" is not a host[:port]."),

        RejectReason.TransferEncodingInHttp10 => (HttpStatusCode.BadRequest, Malformed + "Transfer-Encoding in an HTTP/1.0 request."),
        RejectReason.ContentLengthAndTransferEncoding => (HttpStatusCode.BadRequest, Malformed + "both Content-Length and Transfer-Encoding (the framing would be ambiguous)."),
        RejectReason.TransferEncodingNotSupported => (HttpStatusCode.NotImplemented, "Transfer-Encoding \"{0}\" is not supported; send the body with Content-Length or chunked."),
        RejectReason.ContentLengthInvalid => (HttpStatusCode.BadRequest, Malformed + "Content-Length \"{0}\" is not one non-negative integer."),
        RejectReason.ContentLengthTooLarge => (HttpStatusCode.RequestEntityTooLarge, "The request body ({0} bytes) is larger than the server accepts ({1} bytes)."),

        RejectReason.BodyStalled => (HttpStatusCode.RequestTimeout, "The request body stopped arriving."),
        RejectReason.BodyTooSlow => (HttpStatusCode.RequestTimeout, "The request body arrived more slowly than the server's minimum data rate."),
        RejectReason.ClosedInBody => (HttpStatusCode.BadRequest, "The connection closed in the middle of the request body."),
        RejectReason.ClosedInChunkData => (HttpStatusCode.BadRequest, "The connection closed in the middle of a chunk of the request body."),
        RejectReason.ChunkedBodyTooLarge => (HttpStatusCode.RequestEntityTooLarge, "The request body is larger than the server accepts ({0} bytes)."),

        // A bare LF or CR in a chunk extension ends the line for a lenient parser but not for us:
        // two readings of one body, the root of request smuggling.
        RejectReason.ChunkSizeLineControlCharacter => (HttpStatusCode.BadRequest, Malformed + "a control character (or a bare CR or LF) in a chunk-size line."),
        RejectReason.ChunkSizeNotHex => (HttpStatusCode.BadRequest, Malformed + "a chunk size is not a hexadecimal number."),
        RejectReason.ChunkLineTooLong => (HttpStatusCode.BadRequest, Malformed + "a chunk-size or trailer line is too long."),
        RejectReason.ChunkLongerThanDeclared => (HttpStatusCode.BadRequest, Malformed + "a chunk is longer than its declared size."),
        RejectReason.TrailerControlCharacter => (HttpStatusCode.BadRequest, Malformed + "a control character (or a bare CR or LF) in a trailer field."),
        RejectReason.TrailerFieldMalformed => (HttpStatusCode.BadRequest, Malformed + "a trailer field that is not a valid header field (a token, a colon, a value)."),
        RejectReason.TrailersTooLarge => (HttpStatusCode.RequestHeaderFieldsTooLarge, "The trailer fields are longer than {0} bytes."),

        RejectReason.NotAForm => (HttpStatusCode.UnsupportedMediaType, "Expected a form (application/x-www-form-urlencoded), got {0}."),
        RejectReason.UnknownCharset => (HttpStatusCode.UnsupportedMediaType, "Unknown charset \"{0}\"."),
        RejectReason.NotAWebSocketHandshake => (HttpStatusCode.BadRequest, "Not a WebSocket handshake: expected GET with Connection: Upgrade, Upgrade: websocket and Sec-WebSocket-Key."),
        RejectReason.WebSocketVersionNotSupported => (HttpStatusCode.UpgradeRequired, "Unsupported WebSocket version: this server speaks version 13 (RFC 6455)."),
        RejectReason.WebSocketHandshakeWithBody => (HttpStatusCode.BadRequest, "Malformed WebSocket handshake: it has a body (its bytes would be read as frames)."),
        RejectReason.WebSocketKeyMalformed => (HttpStatusCode.BadRequest, "Malformed WebSocket handshake: Sec-WebSocket-Key is not 16 bytes in base64."),
        _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, "Every reason needs a row in this table."),
    };

    /// <summary>The header field a rejection's answer must carry, if any: RFC 6455 §4.4 has a 426 name the versions the server speaks.</summary>
    public static (string Name, string Value)? HeaderFor(RejectReason reason)
        => reason == RejectReason.WebSocketVersionNotSupported ? ("Sec-WebSocket-Version", "13") : null;

    /// <summary>The exception that answers <paramref name="reason"/>, its sentence filled in with <paramref name="details"/>.</summary>
    public static HttpBadRequestException Create(RejectReason reason, params object?[] details)
    {
        (HttpStatusCode status, string sentence) = Describe(reason);
        string message = details.Length == 0 ? sentence : string.Format(CultureInfo.InvariantCulture, sentence, details);
        return new HttpBadRequestException(reason, (int)status, message);
    }
}
