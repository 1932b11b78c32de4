using System.Text;

namespace GeventSharp.Http;

/// <summary>The request line and header fields of one request, parsed from its head (up to, not including, the empty line).</summary>
internal readonly record struct RequestHead(string Method, string Target, string Version, HttpHeaders Headers);

/// <summary>
/// Parses a request head strictly (RFC 9112): anything ambiguous — a folded header line,
/// whitespace before a colon, a control character, a bare LF — is refused rather than guessed at,
/// so that no proxy in front of the server can read the request differently.
/// </summary>
internal static class HttpRequestParser
{
    private static readonly string[] s_methods = ["GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH"];

    // Names most requests carry: returned without allocating when the client spells them this way.
    private static readonly string[] s_names =
    [
        "Host", "Connection", "Content-Length", "Content-Type", "Transfer-Encoding", "Accept", "User-Agent",
        "Accept-Encoding", "Accept-Language", "Cookie", "Expect", "Upgrade", "Origin", "Referer", "Cache-Control",
        "Pragma", "Sec-WebSocket-Key", "Sec-WebSocket-Version", "Sec-Fetch-Mode", "Sec-Fetch-Site", "Sec-Fetch-Dest",
        "Upgrade-Insecure-Requests", "If-None-Match", "If-Modified-Since", "Authorization", "DNT", "Priority",
    ];

    /// <summary>
    /// Looks for a whole request head at the start of <paramref name="input"/> and parses it.
    /// </summary>
    /// <param name="input">What the connection has buffered.</param>
    /// <param name="maxHeadSize">The longest request line plus headers (431 beyond).</param>
    /// <param name="maxHeaders">The most header fields (431 beyond).</param>
    /// <param name="consumed">
    /// With a head: its bytes, the empty line and any empty lines before the request line (RFC 9112
    /// §2.2 says to ignore them). Without: only those empty lines, never part of a head.
    /// </param>
    /// <param name="head">The parsed head, when the result is true.</param>
    /// <returns>True with a head; false when more input is needed.</returns>
    /// <exception cref="HttpBadRequestException">The head is malformed or over a limit.</exception>
    public static bool TryParse(ReadOnlySpan<byte> input, int maxHeadSize, int maxHeaders, out int consumed, out RequestHead head)
    {
        int start = 0;
        while (input.Length - start >= 2 && input[start] == '\r' && input[start + 1] == '\n')
        {
            start += 2;
        }

        ReadOnlySpan<byte> rest = input[start..];
        int found = rest.IndexOf("\r\n\r\n"u8);
        if (found > maxHeadSize || (found < 0 && rest.Length >= maxHeadSize))
        {
            throw HttpRejection.Create(RejectReason.HeadTooLarge, maxHeadSize);
        }

        if (found < 0)
        {
            consumed = start;
            head = default;
            return false;
        }

        head = Parse(rest[..found], maxHeaders);
        consumed = start + found + 4;
        return true;
    }

    /// <summary>Parses a head without its final empty line.</summary>
    public static RequestHead Parse(ReadOnlySpan<byte> head, int maxHeaders)
    {
        int lineEnd = head.IndexOf("\r\n"u8);
        ReadOnlySpan<byte> line = lineEnd < 0 ? head : head[..lineEnd];
        if (line.IndexOf((byte)'\n') >= 0)
        {
            throw HttpRejection.Create(RejectReason.BareLineFeedInRequestLine);
        }

        int sp1 = line.IndexOf((byte)' ');
        int sp2 = line.LastIndexOf((byte)' ');
        if (sp1 <= 0 || sp2 == sp1)
        {
            throw HttpRejection.Create(RejectReason.RequestLineNotThreeParts);
        }

        ReadOnlySpan<byte> method = line[..sp1];
        ReadOnlySpan<byte> target = line[(sp1 + 1)..sp2];
        ReadOnlySpan<byte> version = line[(sp2 + 1)..];
        foreach (byte b in method)
        {
            if (!HttpHeaders.IsTokenChar(b))
            {
                throw HttpRejection.Create(RejectReason.MethodNotToken);
            }
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

        ReadOnlySpan<byte> rest = lineEnd < 0 ? default : head[(lineEnd + 2)..];
        var headers = new HttpHeaders(rest.IsEmpty ? 0 : Math.Min(rest.Count("\r\n"u8) + 1, maxHeaders));
        while (!rest.IsEmpty)
        {
            int end = rest.IndexOf("\r\n"u8);
            ReadOnlySpan<byte> field = end < 0 ? rest : rest[..end];
            rest = end < 0 ? default : rest[(end + 2)..];
            if (field[0] is (byte)' ' or (byte)'\t')
            {
                throw HttpRejection.Create(RejectReason.ObsoleteLineFolding);
            }

            int colon = field.IndexOf((byte)':');
            if (colon <= 0)
            {
                throw HttpRejection.Create(RejectReason.HeaderLineWithoutColon);
            }

            ReadOnlySpan<byte> name = field[..colon];
            foreach (byte b in name)
            {
                if (!HttpHeaders.IsTokenChar(b))
                {
                    throw HttpRejection.Create(b is (byte)' ' or (byte)'\t' ? RejectReason.WhitespaceBeforeColon : RejectReason.HeaderNameNotToken);
                }
            }

            ReadOnlySpan<byte> value = field[(colon + 1)..].Trim(" \t"u8);
            foreach (byte b in value)
            {
                if ((b < 0x20 && b != '\t') || b == 0x7F)
                {
                    throw HttpRejection.Create(RejectReason.ControlCharacterInHeaderValue);
                }
            }

            if (headers.Count >= maxHeaders)
            {
                throw HttpRejection.Create(RejectReason.TooManyHeaderFields, maxHeaders);
            }

            headers.AddParsed(Name(name), Encoding.Latin1.GetString(value));
        }

        return new RequestHead(Method(method), Encoding.ASCII.GetString(target), versionString, headers);
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

    private static string Name(ReadOnlySpan<byte> name)
    {
        foreach (string n in s_names)
        {
            if (name.Length == n.Length && Ascii.Equals(name, n))
            {
                return n;
            }
        }

        return Encoding.ASCII.GetString(name);
    }
}
