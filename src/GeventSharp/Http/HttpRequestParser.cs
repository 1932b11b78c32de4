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

    public static RequestHead Parse(ReadOnlySpan<byte> head, int maxHeaders)
    {
        int lineEnd = head.IndexOf("\r\n"u8);
        ReadOnlySpan<byte> line = lineEnd < 0 ? head : head[..lineEnd];
        if (line.IndexOf((byte)'\n') >= 0)
        {
            throw Bad("a bare LF in the request line");
        }

        int sp1 = line.IndexOf((byte)' ');
        int sp2 = line.LastIndexOf((byte)' ');
        if (sp1 <= 0 || sp2 == sp1)
        {
            throw Bad("the request line is not METHOD TARGET VERSION");
        }

        ReadOnlySpan<byte> method = line[..sp1];
        ReadOnlySpan<byte> target = line[(sp1 + 1)..sp2];
        ReadOnlySpan<byte> version = line[(sp2 + 1)..];
        foreach (byte b in method)
        {
            if (!HttpHeaders.IsTokenChar(b))
            {
                throw Bad("the method is not a token");
            }
        }

        if (target.IsEmpty || target.IndexOfAnyExceptInRange((byte)0x21, (byte)0x7E) >= 0)
        {
            throw Bad("the request target is empty or contains spaces or control characters");
        }

        string versionString = version.SequenceEqual("HTTP/1.1"u8) ? "HTTP/1.1"
            : version.SequenceEqual("HTTP/1.0"u8) ? "HTTP/1.0"
            : throw (version.Length == 8 && version.StartsWith("HTTP/"u8) && char.IsAsciiDigit((char)version[5]) && version[6] == '.' && char.IsAsciiDigit((char)version[7])
                ? new HttpBadRequestException(505, $"HTTP version {Encoding.ASCII.GetString(version)} is not supported; use HTTP/1.1.")
                : Bad("the version is not HTTP/x.y"));

        ReadOnlySpan<byte> rest = lineEnd < 0 ? default : head[(lineEnd + 2)..];
        var headers = new HttpHeaders(rest.IsEmpty ? 0 : Math.Min(rest.Count("\r\n"u8) + 1, maxHeaders));
        while (!rest.IsEmpty)
        {
            int end = rest.IndexOf("\r\n"u8);
            ReadOnlySpan<byte> field = end < 0 ? rest : rest[..end];
            rest = end < 0 ? default : rest[(end + 2)..];
            if (field[0] is (byte)' ' or (byte)'\t')
            {
                throw Bad("a folded header line (obsolete line folding is not accepted)");
            }

            int colon = field.IndexOf((byte)':');
            if (colon <= 0)
            {
                throw Bad("a header line without a name and a colon");
            }

            ReadOnlySpan<byte> name = field[..colon];
            foreach (byte b in name)
            {
                if (!HttpHeaders.IsTokenChar(b))
                {
                    throw Bad(b is (byte)' ' or (byte)'\t' ? "whitespace before a header's colon" : "a header name that is not a token");
                }
            }

            ReadOnlySpan<byte> value = field[(colon + 1)..].Trim(" \t"u8);
            foreach (byte b in value)
            {
                if ((b < 0x20 && b != '\t') || b == 0x7F)
                {
                    throw Bad("a control character in a header value");
                }
            }

            if (headers.Count >= maxHeaders)
            {
                throw new HttpBadRequestException(431, $"More than {maxHeaders} header fields.");
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

    private static HttpBadRequestException Bad(string what) => new(400, $"Malformed request: {what}.");
}
