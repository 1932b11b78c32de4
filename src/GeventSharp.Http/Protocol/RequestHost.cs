using System.Buffers;
using System.Net;
using System.Net.Sockets;

namespace GeventSharp.Http;

/// <summary>
/// Which host a request is for (RFC 9112 §3.2): the <c>Host</c> header, checked, or the
/// authority of an absolute-form target, which replaces it.
/// </summary>
internal static class RequestHost
{
    // RFC 3986 §3.2.2 reg-name: unreserved, sub-delims and '%' (checked for two hex digits after it).
    private static readonly SearchValues<char> s_regName =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=%");

    private static readonly SearchValues<char> s_ipFuture =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:");

    /// <summary>
    /// The host of the request with these parts; null for an HTTP/1.0 request without one. For an
    /// absolute-form target (<c>GET http://other/ HTTP/1.1</c>) its authority, also written into
    /// the <c>Host</c> header in place of the one sent, which RFC 9112 §3.2.2 says to ignore.
    /// </summary>
    /// <exception cref="HttpBadRequestException">400: an HTTP/1.1 request without <c>Host</c>, more than one, or one that is not <c>host[:port]</c>.</exception>
    public static string? Resolve(string target, bool http11, HttpHeaders headers, KnownFields known = default)
    {
        int at = known.MayHave(KnownField.Host) ? headers.IndexOf("Host") : -1;
        if (at < 0)
        {
            if (http11)
            {
                throw HttpRejection.Create(RejectReason.HostMissing);
            }
        }
        else if (known.MayRepeat(KnownField.Host) && headers.IndexOf("Host", at + 1) >= 0)
        {
            throw HttpRejection.Create(RejectReason.HostRepeated);
        }

        string? host = at < 0 ? null : headers.ValueAt(at);
        if (host is not null && !IsValid(host, allowEmpty: true))
        {
            throw HttpRejection.Create(RejectReason.HostInvalid, host);
        }

        if (target[0] == '/' || AbsoluteFormAuthority(target) is not { } authority)
        {
            return host;
        }

        // RFC 9110 §4.2.1: an http(s) URI with an empty host is invalid; '@' (userinfo) is refused by the syntax.
        if (!IsValid(authority, allowEmpty: false))
        {
            throw HttpRejection.Create(RejectReason.TargetAuthorityInvalid, authority);
        }

        if (at >= 0)
        {
            headers.ReplaceValueAt(at, authority);
        }

        return authority;
    }

    /// <summary>The authority of an <c>http://</c> or <c>https://</c> target; null for any other form.</summary>
    public static string? AbsoluteFormAuthority(string target)
    {
        int scheme = target.StartsWith("http://", StringComparison.OrdinalIgnoreCase) ? 7
            : target.StartsWith("https://", StringComparison.OrdinalIgnoreCase) ? 8
            : -1;
        if (scheme < 0)
        {
            return null;
        }

        int end = target.AsSpan(scheme).IndexOfAny('/', '?', '#');
        return end < 0 ? target[scheme..] : target.Substring(scheme, end);
    }

    /// <summary>True if <paramref name="value"/> is <c>uri-host [ ":" port ]</c> (RFC 3986 §3.2.2, §3.2.3).</summary>
    /// <param name="value">A Host header's value or a target's authority.</param>
    /// <param name="allowEmpty">An empty value is valid (a Host header for a target without an authority, RFC 9112 §3.2).</param>
    public static bool IsValid(ReadOnlySpan<char> value, bool allowEmpty)
    {
        if (value.IsEmpty)
        {
            return allowEmpty;
        }

        ReadOnlySpan<char> port;
        if (value[0] == '[')
        {
            int close = value.IndexOf(']');
            if (close < 0 || !IsIpLiteral(value[1..close]))
            {
                return false;
            }

            port = value[(close + 1)..];
            if (!port.IsEmpty)
            {
                if (port[0] != ':')
                {
                    return false;
                }

                port = port[1..];
            }
        }
        else
        {
            int colon = value.IndexOf(':');
            ReadOnlySpan<char> name = colon < 0 ? value : value[..colon];
            port = colon < 0 ? default : value[(colon + 1)..];
            if (name.IsEmpty || !IsRegName(name))
            {
                return false;
            }
        }

        return port.IndexOfAnyExceptInRange('0', '9') < 0;
    }

    private static bool IsRegName(ReadOnlySpan<char> name)
    {
        if (name.IndexOfAnyExcept(s_regName) >= 0)
        {
            return false;
        }

        for (int p = name.IndexOf('%'); p >= 0; p = name.IndexOf('%'))
        {
            if (p + 2 >= name.Length || !char.IsAsciiHexDigit(name[p + 1]) || !char.IsAsciiHexDigit(name[p + 2]))
            {
                return false;
            }

            name = name[(p + 3)..];
        }

        return true;
    }

    /// <summary>IPv6address or IPvFuture between the brackets (RFC 3986 §3.2.2); no zone identifier.</summary>
    private static bool IsIpLiteral(ReadOnlySpan<char> inner)
    {
        if (inner.Length > 0 && inner[0] is 'v' or 'V')
        {
            // "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )
            int dot = inner.IndexOf('.');
            if (dot <= 1 || dot + 1 == inner.Length || inner[(dot + 1)..].ContainsAnyExcept(s_ipFuture))
            {
                return false;
            }

            foreach (char c in inner[1..dot])
            {
                if (!char.IsAsciiHexDigit(c))
                {
                    return false;
                }
            }

            return true;
        }

        return !inner.Contains('%') && IPAddress.TryParse(inner, out IPAddress? address) && address.AddressFamily == AddressFamily.InterNetworkV6;
    }
}
