using System.Text;

namespace GeventSharp.Http;

/// <summary>
/// The strings of the last request head a server parsed, by place: its target and the values of its
/// first few header fields. A keep-alive client sends the same ones request after request (the
/// host, the user agent, what it accepts), and a parsed head that repeats them gets the same
/// strings back instead of new ones: a comparison instead of an allocation and a decode.
/// </summary>
/// <remarks>One per server, used on its hub's thread only (as <see cref="SpareBuffers"/>). Strings
/// are immutable, so requests sharing one cannot tell. Only ASCII is matched; any other value is
/// decoded as before (Latin-1) and not kept.</remarks>
internal sealed class RecentStrings
{
    private const int Values = 8;

    private readonly string?[] _values = new string?[Values];
    private string? _target;

    /// <summary>The request target (ASCII: the parser has checked it, and ASCII decodes alike as Latin-1).</summary>
    public string Target(ReadOnlySpan<byte> bytes) => Latin1(ref _target, bytes);

    /// <summary>The value of the header field at <paramref name="index"/> in the head (Latin-1).</summary>
    public string Value(int index, ReadOnlySpan<byte> bytes)
        => (uint)index < Values ? Latin1(ref _values[index], bytes) : Encoding.Latin1.GetString(bytes);

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
