namespace GeventSharp.Http;

/// <summary>
/// The last response head a server rendered without handler fields, kept as bytes: a response with
/// the same status, content type, length, framing and connection fields, in the same second (its
/// <c>Date</c> line), renders to the same bytes, which are copied instead of rendered again.
/// </summary>
/// <remarks>One per server, used on its hub's thread only (as <see cref="RecentStrings"/>). A head
/// with handler fields (<see cref="ResponseHead.Headers"/>) is always rendered: the fields can change
/// between responses without the head's other parts changing.</remarks>
internal sealed class RecentResponseHead
{
    /// <summary>The longest head kept.</summary>
    internal const int MaxKept = 512;

    private readonly byte[] _bytes = new byte[MaxKept];
    private readonly byte[] _date = new byte[64];
    private int _dateLength;
    private int _length = -1; // -1: nothing kept
    private ResponseHead _fields;

    /// <summary>Copies the kept head to the start of <paramref name="destination"/> if <paramref name="fields"/> and <paramref name="dateLine"/> are what it was rendered from; its length, or -1.</summary>
    public int TryCopy(in ResponseHead fields, ReadOnlySpan<byte> dateLine, Span<byte> destination)
    {
        if (_length < 0 || fields != _fields || !dateLine.SequenceEqual(_date.AsSpan(0, _dateLength)) || destination.Length < _length)
        {
            return -1;
        }

        _bytes.AsSpan(0, _length).CopyTo(destination);
        return _length;
    }

    /// <summary>Keeps <paramref name="rendered"/>, the head <paramref name="fields"/> and <paramref name="dateLine"/> rendered to, unless it has handler fields or is too long.</summary>
    public void Remember(in ResponseHead fields, ReadOnlySpan<byte> dateLine, ReadOnlySpan<byte> rendered)
    {
        if (fields.Headers is not null || rendered.Length > MaxKept || dateLine.Length > _date.Length)
        {
            _length = -1;
            return;
        }

        rendered.CopyTo(_bytes);
        dateLine.CopyTo(_date);
        _dateLength = dateLine.Length;
        _fields = fields;
        _length = rendered.Length;
    }
}
