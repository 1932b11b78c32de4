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
    // The standard status lines of 100..599, each rendered by the first response that needs it.
    private static readonly byte[]?[] s_statusLines = new byte[]?[500];

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
        int p = StatusLine(head);
        dateLine.CopyTo(head[p..]);
        p += dateLine.Length;
        p += Field("Server: "u8, Server, head[p..]);
        p += Field("Content-Type: "u8, ContentType, head[p..]);
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
                p += Put(": "u8, head[p..]);
                p += Latin1(f.Value, head[p..]);
                p += Put("\r\n"u8, head[p..]);
            }
        }

        if (ContentLength is { } length)
        {
            p += Put("Content-Length: "u8, head[p..]);
            Utf8Formatter.TryFormat(length, head[p..], out int n);
            p += n;
            p += Put("\r\n"u8, head[p..]);
        }
        else if (Chunked)
        {
            p += Put("Transfer-Encoding: chunked\r\n"u8, head[p..]);
        }

        if (!KeepAlive)
        {
            p += Put("Connection: close\r\n"u8, head[p..]);
        }
        else if (Http10)
        {
            p += Put("Connection: keep-alive\r\n"u8, head[p..]);
        }

        p += Put("\r\n"u8, head[p..]);
        return p;
    }

    /// <summary>Writes the status line; the standard one of a status is rendered once and kept.</summary>
    private int StatusLine(Span<byte> head)
    {
        if (ReasonPhrase is null && (uint)(Status - 100) < (uint)s_statusLines.Length)
        {
            // Hubs on several threads may each render one: every result is the same and complete.
            byte[] line = s_statusLines[Status - 100] ??= RenderStatusLine(Status, HttpStatus.ReasonPhrase(Status));
            line.CopyTo(head);
            return line.Length;
        }

        return RenderStatusLine(Status, ReasonPhrase ?? HttpStatus.ReasonPhrase(Status), head);
    }

    private static byte[] RenderStatusLine(int status, string reason)
    {
        Span<byte> line = stackalloc byte[16 + reason.Length];
        return line[..RenderStatusLine(status, reason, line)].ToArray();
    }

    private static int RenderStatusLine(int status, string reason, Span<byte> head)
    {
        int p = Put("HTTP/1.1 "u8, head);
        Utf8Formatter.TryFormat(status, head[p..], out int n);
        p += n;
        head[p++] = (byte)' ';
        p += Latin1(reason, head[p..]);
        return p + Put("\r\n"u8, head[p..]);
    }

    private static int Field(ReadOnlySpan<byte> prefix, string? value, Span<byte> destination)
    {
        if (value is null)
        {
            return 0;
        }

        int p = Put(prefix, destination);
        p += Latin1(value, destination[p..]);
        return p + Put("\r\n"u8, destination[p..]);
    }

    private static int Put(ReadOnlySpan<byte> bytes, Span<byte> destination)
    {
        bytes.CopyTo(destination);
        return bytes.Length;
    }

    // Most values are ASCII: narrowed without the encoder's dispatch; anything else goes through Latin-1 as before.
    private static int Latin1(string s, Span<byte> destination)
        => System.Text.Ascii.FromUtf16(s, destination, out int written) == System.Buffers.OperationStatus.Done
            ? written
            : Encoding.Latin1.GetBytes(s, destination);
}
