using System.Buffers.Text;
using System.Text;

namespace GeventSharp.Http;

/// <summary>
/// The status line and header fields of a response, as the server sends them: the handler's
/// status, reason and fields, then the framing and connection fields the server owns.
/// </summary>
/// <param name="Status">The status code.</param>
/// <param name="ReasonPhrase">The reason phrase; null for the standard one.</param>
/// <param name="ContentType">The <c>Content-Type</c>, written before the other fields.</param>
/// <param name="Headers">The handler's fields, if any; framing, <c>Connection</c> and <c>Content-Type</c> among them are skipped.</param>
/// <param name="ContentLength">The body length to declare; null for none.</param>
/// <param name="Chunked">Declare <c>Transfer-Encoding: chunked</c> (when there is no length).</param>
/// <param name="KeepAlive">False: say <c>Connection: close</c>.</param>
/// <param name="Http10">An HTTP/1.0 client, told <c>Connection: keep-alive</c> when the connection stays open.</param>
/// <param name="Server">The <c>Server</c> field's value, or null for none.</param>
internal readonly record struct ResponseHead(
    int Status, string? ReasonPhrase, string? ContentType, HttpHeaders? Headers, long? ContentLength, bool Chunked, bool KeepAlive, bool Http10, string? Server)
{
    /// <summary>An upper bound of the rendered size, the <c>Date</c> line included (Latin-1: one byte per char).</summary>
    public int MeasureUpperBound()
    {
        int size = 64 + (ReasonPhrase?.Length ?? 40) + 40 + (Server?.Length ?? 0) + 10 + 48 + 24 + 24 + (ContentType?.Length ?? 0) + 16;
        if (Headers is { } headers)
        {
            foreach (KeyValuePair<string, string> f in headers)
            {
                size += f.Key.Length + f.Value.Length + 4;
            }
        }

        return size;
    }

    /// <summary>Writes the head, its empty line included, into <paramref name="head"/> (at least <see cref="MeasureUpperBound"/> bytes); its length.</summary>
    /// <param name="head">Where to write.</param>
    /// <param name="dateLine">The whole <c>Date</c> line (<see cref="HttpDate"/>), or empty for none.</param>
    public int Render(Span<byte> head, ReadOnlySpan<byte> dateLine)
    {
        int p = 0;
        p += Ascii("HTTP/1.1 ", head[p..]);
        Utf8Formatter.TryFormat(Status, head[p..], out int n);
        p += n;
        head[p++] = (byte)' ';
        p += Latin1(ReasonPhrase ?? HttpStatus.ReasonPhrase(Status), head[p..]);
        p += Ascii("\r\n", head[p..]);
        dateLine.CopyTo(head[p..]);
        p += dateLine.Length;
        p += Field("Server: ", Server, head[p..]);
        p += Field("Content-Type: ", ContentType, head[p..]);
        if (Headers is { } headers)
        {
            foreach (KeyValuePair<string, string> f in headers)
            {
                if (f.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)
                    || f.Key.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase)
                    || f.Key.Equals("Connection", StringComparison.OrdinalIgnoreCase)
                    || f.Key.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
                {
                    continue; // framing and connection management are the server's; Content-Type was written above
                }

                p += Latin1(f.Key, head[p..]);
                p += Ascii(": ", head[p..]);
                p += Latin1(f.Value, head[p..]);
                p += Ascii("\r\n", head[p..]);
            }
        }

        if (ContentLength is { } length)
        {
            p += Ascii("Content-Length: ", head[p..]);
            Utf8Formatter.TryFormat(length, head[p..], out n);
            p += n;
            p += Ascii("\r\n", head[p..]);
        }
        else if (Chunked)
        {
            p += Ascii("Transfer-Encoding: chunked\r\n", head[p..]);
        }

        if (!KeepAlive)
        {
            p += Ascii("Connection: close\r\n", head[p..]);
        }
        else if (Http10)
        {
            p += Ascii("Connection: keep-alive\r\n", head[p..]);
        }

        p += Ascii("\r\n", head[p..]);
        return p;
    }

    private static int Field(string prefix, string? value, Span<byte> destination)
    {
        if (value is null)
        {
            return 0;
        }

        int p = Ascii(prefix, destination);
        p += Latin1(value, destination[p..]);
        return p + Ascii("\r\n", destination[p..]);
    }

    private static int Ascii(string s, Span<byte> destination) => Encoding.ASCII.GetBytes(s, destination);

    private static int Latin1(string s, Span<byte> destination) => Encoding.Latin1.GetBytes(s, destination);
}
