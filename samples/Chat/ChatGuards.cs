using System.Collections.Specialized;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Web;
using GeventSharp.Http;

namespace GeventSharp.Samples.Chat;

/// <summary>Names of people and rooms: Unicode, normalised, bounded, with nothing invisible in them.</summary>
public static class ChatNames
{
    /// <summary>The longest name, in user-perceived characters.</summary>
    public const int MaxLength = 32;

    /// <summary>First path segments that are routes, so no room may take them.</summary>
    private static readonly HashSet<string> Reserved = ["put", "poll", "ws", "history", "static", "online"];

    /// <summary>
    /// The name as shown (NFC), or null if it is not acceptable: empty, longer than
    /// <see cref="MaxLength"/> characters, or holding anything but letters, combining marks,
    /// digits, <c>-</c> and <c>_</c> (so no spaces, punctuation, control, format or invisible
    /// characters: nothing that could make two names look alike or break a line).
    /// </summary>
    public static string? Normalize(string raw)
    {
        if (raw.Length is 0 or > MaxLength * 4 || !raw.IsNormalized(NormalizationForm.FormC) && !TryNormalize(ref raw))
        {
            return null;
        }

        if (new StringInfo(raw).LengthInTextElements > MaxLength)
        {
            return null;
        }

        for (int i = 0; i < raw.Length; i++)
        {
            UnicodeCategory c = CharUnicodeInfo.GetUnicodeCategory(raw, i);
            bool ok = c switch
            {
                UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                    or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter or UnicodeCategory.DecimalDigitNumber => true,
                UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark => i > 0,
                UnicodeCategory.DashPunctuation or UnicodeCategory.ConnectorPunctuation => raw[i] is '-' or '_',
                _ => false,
            };
            if (!ok)
            {
                return null;
            }

            if (char.IsHighSurrogate(raw[i]))
            {
                i++;
            }
        }

        return raw;
    }

    /// <summary>What two names that look the same share (compatibility form, case-folded): the key a claim is held under.</summary>
    public static string Key(string name) => name.Normalize(NormalizationForm.FormKC).ToLowerInvariant();

    /// <summary>A room's name: as a person's, lower case, not a route.</summary>
    public static string? Room(string raw) => Normalize(raw) is { } name && !Reserved.Contains(Key(name)) ? Key(name) : null;

    private static bool TryNormalize(ref string raw)
    {
        try
        {
            raw = raw.Normalize(NormalizationForm.FormC);
            return true;
        }
        catch (ArgumentException)
        {
            return false; // unpaired surrogates
        }
    }
}

/// <summary>A token bucket: <c>Burst</c> at once, then <c>PerSecond</c>.</summary>
internal sealed class RateLimiter(double burst, double perSecond, int maxKeys = 100_000)
{
    private readonly Dictionary<string, (double Tokens, DateTimeOffset At)> _buckets = new();

    /// <summary>Takes a token for <paramref name="key"/>; if there is none, how long until there is.</summary>
    public TimeSpan? Take(string key, DateTimeOffset now)
    {
        (double tokens, DateTimeOffset at) = _buckets.TryGetValue(key, out var b) ? b : (burst, now);
        tokens = Math.Min(burst, tokens + Math.Max(0, (now - at).TotalSeconds) * perSecond);
        if (tokens < 1)
        {
            _buckets[key] = (tokens, now);
            return TimeSpan.FromSeconds((1 - tokens) / perSecond);
        }

        if (_buckets.Count >= maxKeys && !_buckets.ContainsKey(key))
        {
            Prune(now);
        }

        _buckets[key] = (tokens - 1, now);
        return null;
    }

    /// <summary>Forgets buckets that have filled up again (they would answer as a new one does).</summary>
    public void Prune(DateTimeOffset now)
    {
        foreach (var (key, b) in _buckets.ToList())
        {
            if (b.Tokens + (now - b.At).TotalSeconds * perSecond >= burst)
            {
                _buckets.Remove(key);
            }
        }
    }
}

/// <summary>The checks every request passes before the chat acts on it.</summary>
internal static class Guard
{
    /// <summary>
    /// Whether the request comes from one of the chat's own pages. Browsers send <c>Origin</c> on
    /// every POST and WebSocket handshake; one that does not match the chat's own origin (the
    /// <c>Host</c> it was asked for, or one configured) is another site, even on the same host
    /// (cookies are shared across ports, so <c>SameSite</c> alone does not stop it). A request with
    /// no <c>Origin</c> and no <c>Sec-Fetch-Site</c> is not from a browser, and the CSRF token
    /// still has to be right.
    /// </summary>
    public static bool SameOrigin(HttpRequest request, ChatOptions options)
    {
        string? origin = request.Headers["Origin"];
        if (origin is null)
        {
            return request.Headers["Sec-Fetch-Site"] is null or "same-origin" or "none";
        }

        return options.AllowedOrigins.Contains(origin, StringComparer.OrdinalIgnoreCase)
            || string.Equals(origin, (options.Https ? "https://" : "http://") + request.Host, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The CSRF token of a session: a MAC of its cookie, which a page of another origin can neither read nor compute.</summary>
    public static string CsrfToken(byte[] secret, string session)
        => Convert.ToBase64String(HMACSHA256.HashData(secret, Encoding.UTF8.GetBytes("csrf\n" + session)), 0, 18).Replace('+', '-').Replace('/', '_');

    public static bool CsrfMatches(byte[] secret, string session, string? token)
        => token is not null && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(CsrfToken(secret, session)), Encoding.ASCII.GetBytes(token));

    /// <summary>The value of cookie <paramref name="name"/>, if the request has it.</summary>
    public static string? Cookie(HttpRequest request, string name)
    {
        foreach (string c in (request.Headers["Cookie"] ?? "").Split(';', StringSplitOptions.TrimEntries))
        {
            if (c.Length > name.Length && c.StartsWith(name, StringComparison.Ordinal) && c[name.Length] == '=')
            {
                return c[(name.Length + 1)..];
            }
        }

        return null;
    }

    /// <summary>The client's address (no port), the key of per-address limits.</summary>
    public static string Address(HttpRequest request)
        => request.RemoteEndPoint is System.Net.IPEndPoint ip ? ip.Address.ToString() : request.RemoteEndPoint?.ToString() ?? "?";

    /// <summary>
    /// Reads a form body of at most <paramref name="limit"/> bytes: a declared length over it is
    /// refused before a byte is read, and a chunked body is read no further than one byte past it.
    /// No form (a status and a sentence) when the body is too large or not a form.
    /// </summary>
    public static async ValueTask<(NameValueCollection? Form, string? Problem, int Status)> ReadFormAsync(HttpRequest request, int limit)
    {
        if (request.ContentLength > limit)
        {
            return (null, $"The request body is {request.ContentLength} bytes; this route takes at most {limit}.", 413);
        }

        string? type = request.Headers["Content-Type"];
        byte[] buffer = new byte[Math.Min(limit + 1, (int?)request.ContentLength ?? limit + 1)];
        int read = 0;
        while (read < buffer.Length)
        {
            int n = await request.Body.ReadAsync(buffer.AsMemory(read));
            if (n == 0)
            {
                break;
            }

            read += n;
        }

        if (read > limit)
        {
            return (null, $"The request body is over {limit} bytes, the most this route takes.", 413);
        }

        if (read > 0 && (type is null || !type.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase)))
        {
            return (null, "Send the form as application/x-www-form-urlencoded.", 415);
        }

        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(buffer, 0, read);
        }
        catch (DecoderFallbackException)
        {
            return (null, "The form is not valid UTF-8.", 400);
        }

        return (HttpUtility.ParseQueryString(text), null, 200);
    }
}
