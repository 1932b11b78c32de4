using System.Buffers;
using System.Text;

namespace GeventSharp.Http;

/// <summary>The request line and header fields of one request, parsed from its head (up to, not including, the empty line).</summary>
/// <param name="Method">The method.</param>
/// <param name="Target">The request target, as sent.</param>
/// <param name="Version">"HTTP/1.1" or "HTTP/1.0".</param>
/// <param name="Headers">The header fields, in order.</param>
/// <param name="Known">Which known names the parsed fields have (any case), so that the server's own lookups skip absent ones.</param>
internal readonly record struct RequestHead(string Method, string Target, string Version, HttpHeaders Headers, KnownFields Known = default);

/// <summary>The limits a request head is held to (from <see cref="HttpServerOptions"/>).</summary>
/// <param name="MaxHeadSize">The longest request line plus headers (431 beyond).</param>
/// <param name="MaxLineSize">The longest request line, without its CRLF (414 beyond).</param>
/// <param name="MaxHeaders">The most header fields (431 beyond).</param>
internal readonly record struct HeadLimits(int MaxHeadSize, int MaxLineSize, int MaxHeaders);

/// <summary>
/// Parses a request head strictly (RFC 9112): anything ambiguous — a folded header line,
/// whitespace before a colon, a control character, a bare LF — is refused rather than guessed at,
/// so that no proxy in front of the server can read the request differently.
/// </summary>
/// <remarks>
/// A head that has not fully arrived is checked as far as it goes (<see cref="CheckPartial"/>):
/// garbage, a TLS handshake or a bare LF is refused at once instead of being buffered while the
/// server waits for a CRLFCRLF that may never come.
/// </remarks>
internal static class HttpRequestParser
{
    private static readonly string[] s_methods = ["GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH"];

    // Names most requests carry: returned without allocating when the client spells them this way,
    // and recognised in any case for KnownFields (their places are KnownField's values; at most 32).
    internal static readonly string[] KnownNames =
    [
        "Host", "Connection", "Content-Length", "Content-Type", "Transfer-Encoding", "Accept", "User-Agent",
        "Accept-Encoding", "Accept-Language", "Cookie", "Expect", "Upgrade", "Origin", "Referer", "Cache-Control",
        "Pragma", "Sec-WebSocket-Key", "Sec-WebSocket-Version", "Sec-Fetch-Mode", "Sec-Fetch-Site", "Sec-Fetch-Dest",
        "Upgrade-Insecure-Requests", "If-None-Match", "If-Modified-Since", "Authorization", "DNT", "Priority",
    ];

    /// <summary>The characters of a token (RFC 9110 §5.6.2): a method, a field name.</summary>
    internal static readonly SearchValues<byte> TokenChars =
        SearchValues.Create("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"u8);

    /// <summary>Control characters other than HTAB (CR and LF included): never part of a field value.</summary>
    private static readonly SearchValues<byte> s_controls = SearchValues.Create(
        [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F,
         0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F, 0x7F]);

    /// <summary>
    /// Looks for a whole request head at the start of <paramref name="input"/> and parses it.
    /// </summary>
    /// <param name="input">What the connection has buffered.</param>
    /// <param name="limits">The head's size limits.</param>
    /// <param name="consumed">
    /// With a head: its bytes, the empty line and any empty lines before the request line (RFC 9112
    /// §2.2 says to ignore them). Without: only those empty lines, never part of a head.
    /// </param>
    /// <param name="head">The parsed head, when the result is true.</param>
    /// <returns>True with a head; false when more input is needed (and what has come is not wrong yet).</returns>
    /// <exception cref="HttpBadRequestException">The head is malformed or over a limit, whole or not.</exception>
    /// <param name="recent">The server's strings of the last head, reused where this one repeats them; null to decode every one.</param>
    public static bool TryParse(ReadOnlySpan<byte> input, HeadLimits limits, out int consumed, out RequestHead head, RecentStrings? recent = null)
    {
        int start = 0;
        while (input.Length - start >= 2 && input[start] == '\r' && input[start + 1] == '\n')
        {
            start += 2;
        }

        ReadOnlySpan<byte> rest = input[start..];
        int found = rest.IndexOf("\r\n\r\n"u8);
        if (found < 0 || found > limits.MaxHeadSize)
        {
            CheckPartial(found < 0 ? rest : rest[..found], limits.MaxLineSize);
            if (found >= 0 || rest.Length >= limits.MaxHeadSize + 4) // shorter, its CRLFCRLF may still end a head within the limit
            {
                throw HttpRejection.Create(RejectReason.HeadTooLarge, limits.MaxHeadSize);
            }

            consumed = start;
            head = default;
            return false;
        }

        head = Parse(rest[..found], limits, recent);
        consumed = start + found + 4;
        return true;
    }

    /// <summary>Parses a head without its final empty line.</summary>
    public static RequestHead Parse(ReadOnlySpan<byte> head, HeadLimits limits, RecentStrings? recent = null)
    {
        int lineEnd = head.IndexOf("\r\n"u8);
        ReadOnlySpan<byte> line = lineEnd < 0 ? head : head[..lineEnd];
        (string method, string target, string version) = ParseRequestLine(line, limits.MaxLineSize, recent);

        ReadOnlySpan<byte> rest = lineEnd < 0 ? default : head[(lineEnd + 2)..];
        var headers = new HttpHeaders(rest.IsEmpty ? 0 : Math.Min(rest.Count("\r\n"u8) + 1, limits.MaxHeaders));
        KnownFields known = KnownFields.None;
        while (!rest.IsEmpty)
        {
            int end = rest.IndexOf("\r\n"u8);
            ReadOnlySpan<byte> field = end < 0 ? rest : rest[..end];
            rest = end < 0 ? default : rest[(end + 2)..];
            if (CheckField(field, out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value) is { } wrong)
            {
                throw HttpRejection.Create(wrong);
            }

            if (headers.Count >= limits.MaxHeaders)
            {
                throw HttpRejection.Create(RejectReason.TooManyHeaderFields, limits.MaxHeaders);
            }

            string nameString = Name(name, out int place);
            headers.AddParsed(nameString, recent?.Value(headers.Count, value) ?? Encoding.Latin1.GetString(value));
            known = known.With(place);
        }

        return new RequestHead(method, target, version, headers, known);
    }

    /// <summary>
    /// Checks one header (or trailer) field line, without its CRLF, the way RFC 9112 §5 reads it:
    /// a token, a colon right after it, a value of no control characters but HTAB; null if it is valid.
    /// </summary>
    /// <param name="field">The line.</param>
    /// <param name="name">The field's name.</param>
    /// <param name="value">The field's value, without the whitespace around it.</param>
    public static RejectReason? CheckField(ReadOnlySpan<byte> field, out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
    {
        name = value = default;
        if (!field.IsEmpty && field[0] is (byte)' ' or (byte)'\t')
        {
            return RejectReason.ObsoleteLineFolding;
        }

        int colon = field.IndexOf((byte)':');
        if (colon <= 0)
        {
            return field.Contains((byte)'\n') ? RejectReason.BareLineFeedInHead : RejectReason.HeaderLineWithoutColon;
        }

        name = field[..colon];
        int bad = name.IndexOfAnyExcept(TokenChars);
        if (bad >= 0)
        {
            return name[bad] switch
            {
                (byte)' ' or (byte)'\t' => RejectReason.WhitespaceBeforeColon,
                (byte)'\n' => RejectReason.BareLineFeedInHead,
                _ => RejectReason.HeaderNameNotToken,
            };
        }

        value = field[(colon + 1)..].Trim(" \t"u8);
        bad = value.IndexOfAny(s_controls);
        return bad < 0 ? null : value[bad] == '\n' ? RejectReason.BareLineFeedInHead : RejectReason.ControlCharacterInHeaderValue;
    }

    /// <summary>
    /// Refuses a head that has not fully arrived if what is there is wrong already: a TLS
    /// handshake, a control character, a bare CR or LF, a request line that cannot become valid
    /// or is over <paramref name="maxLine"/>. Whatever could still become a valid head passes.
    /// </summary>
    private static void CheckPartial(ReadOnlySpan<byte> partial, int maxLine)
    {
        if (partial.Length >= 2 && partial[0] == 0x16 && partial[1] == 0x03)
        {
            throw HttpRejection.Create(RejectReason.TlsHandshakeOnPlainPort);
        }

        for (int at = partial.IndexOfAny(s_controls); at >= 0;)
        {
            if (partial[at] != '\r')
            {
                throw HttpRejection.Create(partial[at] == '\n' ? RejectReason.BareLineFeedInHead : RejectReason.ControlCharacterInHead);
            }

            if (at + 1 == partial.Length)
            {
                break; // its LF may be on the way
            }

            if (partial[at + 1] != '\n')
            {
                throw HttpRejection.Create(RejectReason.ControlCharacterInHead);
            }

            int next = partial[(at + 2)..].IndexOfAny(s_controls);
            at = next < 0 ? -1 : at + 2 + next;
        }

        int lineEnd = partial.IndexOf("\r\n"u8);
        ReadOnlySpan<byte> line = lineEnd >= 0 ? partial[..lineEnd] : partial.TrimEnd((byte)'\r');
        if (lineEnd >= 0)
        {
            ParseRequestLine(line, maxLine);
        }
        else if (line.Length > maxLine)
        {
            throw HttpRejection.Create(RejectReason.RequestLineTooLong, maxLine);
        }
        else
        {
            CheckRequestLinePrefix(line);
        }
    }

    /// <summary>Refuses the start of a request line that no more bytes could make valid.</summary>
    private static void CheckRequestLinePrefix(ReadOnlySpan<byte> line)
    {
        int sp = line.IndexOf((byte)' ');
        if (sp == 0)
        {
            throw HttpRejection.Create(RejectReason.RequestLineNotThreeParts);
        }

        if ((sp < 0 ? line : line[..sp]).IndexOfAnyExcept(TokenChars) >= 0)
        {
            throw HttpRejection.Create(RejectReason.MethodNotToken);
        }

        if (sp < 0)
        {
            return;
        }

        ReadOnlySpan<byte> rest = line[(sp + 1)..];
        sp = rest.IndexOf((byte)' ');
        if (sp == 0 || (sp < 0 ? rest : rest[..sp]).IndexOfAnyExceptInRange((byte)0x21, (byte)0x7E) >= 0)
        {
            throw HttpRejection.Create(RejectReason.InvalidTarget);
        }

        if (sp < 0)
        {
            return;
        }

        ReadOnlySpan<byte> version = rest[(sp + 1)..];
        if (version.Contains((byte)' '))
        {
            throw HttpRejection.Create(RejectReason.InvalidTarget); // the target had a space in it
        }

        ReadOnlySpan<byte> shape = "HTTP/0.0"u8;
        for (int i = 0; i < version.Length; i++)
        {
            bool fits = i < shape.Length && (shape[i] == '0' ? char.IsAsciiDigit((char)version[i]) : version[i] == shape[i]);
            if (!fits)
            {
                throw HttpRejection.Create(RejectReason.VersionMalformed);
            }
        }
    }

    /// <summary>Parses and checks a whole request line (without its CRLF).</summary>
    private static (string Method, string Target, string Version) ParseRequestLine(ReadOnlySpan<byte> line, int maxLine, RecentStrings? recent = null)
    {
        if (line.Length > maxLine)
        {
            throw HttpRejection.Create(RejectReason.RequestLineTooLong, maxLine);
        }

        if (line.IndexOf((byte)'\n') >= 0)
        {
            throw HttpRejection.Create(RejectReason.BareLineFeedInHead);
        }

        int sp1 = line.IndexOf((byte)' ');
        int sp2 = line.LastIndexOf((byte)' ');
        if (sp1 <= 0 || sp2 == sp1)
        {
            throw line.Length >= 2 && line[0] == 0x16 && line[1] == 0x03
                ? HttpRejection.Create(RejectReason.TlsHandshakeOnPlainPort)
                : HttpRejection.Create(RejectReason.RequestLineNotThreeParts);
        }

        ReadOnlySpan<byte> method = line[..sp1];
        ReadOnlySpan<byte> target = line[(sp1 + 1)..sp2];
        ReadOnlySpan<byte> version = line[(sp2 + 1)..];
        if (method.IndexOfAnyExcept(TokenChars) >= 0)
        {
            throw method.Length >= 2 && method[0] == 0x16 && method[1] == 0x03
                ? HttpRejection.Create(RejectReason.TlsHandshakeOnPlainPort)
                : HttpRejection.Create(RejectReason.MethodNotToken);
        }

        if (target.IsEmpty || target.IndexOfAnyExceptInRange((byte)0x21, (byte)0x7E) >= 0)
        {
            throw HttpRejection.Create(RejectReason.InvalidTarget);
        }

        string versionString = version.SequenceEqual("HTTP/1.1"u8) ? "HTTP/1.1"
            : version.SequenceEqual("HTTP/1.0"u8) ? "HTTP/1.0"
            : throw (version.Length == 8 && version.StartsWith("HTTP/"u8) && char.IsAsciiDigit((char)version[5]) && version[6] == '.' && char.IsAsciiDigit((char)version[7])
                ? HttpRejection.Create(RejectReason.VersionNotSupported, Encoding.ASCII.GetString(version))
                : HttpRejection.Create(RejectReason.VersionMalformed));

        return (Method(method), recent?.Target(target) ?? Encoding.ASCII.GetString(target), versionString);
    }

    private static string Method(ReadOnlySpan<byte> method)
    {
        foreach (string m in s_methods)
        {
            if (method.Length == m.Length && Ascii.Equals(method, m))
            {
                return m;
            }
        }

        return Encoding.ASCII.GetString(method);
    }

    /// <summary>The name's string; <paramref name="known"/> its place in <see cref="KnownNames"/> in any case, or -1.</summary>
    private static string Name(ReadOnlySpan<byte> name, out int known)
    {
        string[] names = KnownNames;
        for (int i = 0; i < names.Length; i++)
        {
            string n = names[i];
            if (name.Length == n.Length && Ascii.EqualsIgnoreCase(name, n))
            {
                known = i;
                return Ascii.Equals(name, n) ? n : Encoding.ASCII.GetString(name);
            }
        }

        known = -1;
        return Encoding.ASCII.GetString(name);
    }
}
