using System.Text;

namespace GeventSharp.Http;

/// <summary>
/// The strings of the last request head a server parsed, by place: its target and the values of its
/// first few header fields. A keep-alive client sends the same ones request after request (the
/// host, the user agent, what it accepts), and a parsed head that repeats them gets the same
/// strings back instead of new ones: a comparison instead of an allocation and a decode.
/// </summary>
/// <remarks>
/// <para>One per server, used on its hub's thread only (as <see cref="SpareBuffers"/>). Strings
/// are immutable, so requests sharing one cannot tell. Only ASCII is matched; any other value is
/// decoded as before (Latin-1) and not kept.</para>
/// <para>It also keeps the last head whole (<see cref="Remember"/>, ASCII and at most
/// <see cref="MaxKeptHead"/> bytes): a head that repeats it byte for byte, under the same limits,
/// would be parsed to the same result (the parse reads nothing but those bytes and limits), so
/// <see cref="TryRepeat"/> gives that result back without parsing again: the same strings, in new
/// <see cref="HttpHeaders"/> (a handler may change the ones it is given).</para>
/// </remarks>
internal sealed class RecentStrings
{
    /// <summary>The longest head kept whole (a longer one is parsed every time).</summary>
    internal const int MaxKeptHead = 1024;

    private const int Values = 8;

    private readonly string?[] _values = new string?[Values];
    private string? _target;

    private readonly byte[] _head = new byte[MaxKeptHead];
    private int _headLength = -1; // -1: no head kept
    private HeadLimits _headLimits;
    private string _headMethod = "";
    private string _headTarget = "";
    private string _headVersion = "";
    private KeyValuePair<string, string>[] _headFields = [];
    private int _headFieldCount;

    /// <summary>The request target (ASCII: the parser has checked it, and ASCII decodes alike as Latin-1).</summary>
    public string Target(ReadOnlySpan<byte> bytes) => Latin1(ref _target, bytes);

    /// <summary>The value of the header field at <paramref name="index"/> in the head (Latin-1).</summary>
    public string Value(int index, ReadOnlySpan<byte> bytes)
        => (uint)index < Values ? Latin1(ref _values[index], bytes) : Encoding.Latin1.GetString(bytes);

    /// <summary>If <paramref name="head"/> (without its empty line) is the kept head byte for byte, under the same limits: its parse again, in new header fields.</summary>
    public bool TryRepeat(ReadOnlySpan<byte> head, HeadLimits limits, out RequestHead parsed)
    {
        if (head.Length != _headLength || limits != _headLimits || !head.SequenceEqual(_head.AsSpan(0, _headLength)))
        {
            parsed = default;
            return false;
        }

        var headers = new HttpHeaders(_headFieldCount);
        headers.AddParsed(_headFields.AsSpan(0, _headFieldCount));
        parsed = new RequestHead(_headMethod, _headTarget, _headVersion, headers);
        return true;
    }

    /// <summary>Keeps <paramref name="head"/> and its parse for <see cref="TryRepeat"/>, if it is ASCII and short enough (else forgets the last one).</summary>
    public void Remember(ReadOnlySpan<byte> head, HeadLimits limits, RequestHead parsed)
    {
        if (head.Length > MaxKeptHead || !Ascii.IsValid(head))
        {
            _headLength = -1;
            return;
        }

        HttpHeaders headers = parsed.Headers;
        if (_headFields.Length < headers.Count)
        {
            _headFields = new KeyValuePair<string, string>[Math.Max(headers.Count, 8)];
        }

        headers.CopyTo(_headFields);
        Array.Clear(_headFields, headers.Count, _headFieldCount > headers.Count ? _headFieldCount - headers.Count : 0);
        _headFieldCount = headers.Count;
        head.CopyTo(_head);
        _headLength = head.Length;
        _headLimits = limits;
        _headMethod = parsed.Method;
        _headTarget = parsed.Target;
        _headVersion = parsed.Version;
    }

    private static string Latin1(ref string? last, ReadOnlySpan<byte> bytes)
    {
        if (last is { } known && Ascii.Equals(bytes, known))
        {
            return known;
        }

        string value = Encoding.Latin1.GetString(bytes);
        if (Ascii.IsValid(bytes))
        {
            last = value;
        }

        return value;
    }
}
