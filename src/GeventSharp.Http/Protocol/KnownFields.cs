namespace GeventSharp.Http;

/// <summary>Places in <see cref="HttpRequestParser.KnownNames"/> of the names the server itself looks up before the handler.</summary>
internal static class KnownField
{
    public const int Host = 0;
    public const int Connection = 1;
    public const int ContentLength = 2;
    public const int TransferEncoding = 4;
    public const int Expect = 10;
}

/// <summary>
/// Which of the parser's known names (<see cref="KnownField"/>) a parsed head's fields have, in any
/// case, and which more than once: the server's lookups of framing, <c>Host</c> and
/// <c>Connection</c> before the handler skip the scan of the fields for a name the head does not have.
/// </summary>
/// <remarks>Kept as the names known to be absent (low half) and known not to repeat (high half), so
/// that <c>default</c> knows nothing and every lookup scans. The server reads it before the handler
/// runs, while the fields are as parsed (the Host's value may be replaced, never a name).</remarks>
internal readonly struct KnownFields
{
    private readonly ulong _absent;

    private KnownFields(ulong absent) => _absent = absent;

    /// <summary>A head with no fields yet: every known name absent.</summary>
    public static KnownFields None => new(ulong.MaxValue);

    /// <summary>These, and one field more with the known name at <paramref name="place"/> (-1: another name).</summary>
    public KnownFields With(int place)
    {
        if (place < 0)
        {
            return this;
        }

        ulong bit = 1UL << place;
        ulong absent = _absent & ~bit;
        return new((_absent & bit) == 0 ? absent & ~(bit << 32) : absent);
    }

    /// <summary>False if no field has the known name at <paramref name="place"/>; true if one may.</summary>
    public bool MayHave(int place) => (_absent & (1UL << place)) == 0;

    /// <summary>False if at most one field has the known name at <paramref name="place"/>; true if more may.</summary>
    public bool MayRepeat(int place) => (_absent & (1UL << (place + 32))) == 0;

    /// <summary>The joined values of the known name at <paramref name="place"/> (spelled <paramref name="name"/>) in <paramref name="headers"/>, without a scan when absent.</summary>
    public string? Get(HttpHeaders headers, int place, string name) => MayHave(place) ? headers[name] : null;
}
