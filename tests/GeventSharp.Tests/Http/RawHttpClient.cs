using System.Net;
using System.Text;
using GeventSharp.Net;

namespace GeventSharp.Tests.Http;

/// <summary>One parsed response, as the raw client read it.</summary>
internal sealed record RawResponse(int Status, Dictionary<string, string> Headers, string Body, bool Chunked)
{
    public string? Header(string name) => Headers.TryGetValue(name.ToLowerInvariant(), out string? v) ? v : null;
}

/// <summary>
/// A deliberately dumb HTTP/1.1 client over a green socket: sends exactly the bytes a test
/// writes (malformed ones included) and parses responses one at a time, so tests can check
/// keep-alive, pipelining and framing on the wire.
/// </summary>
internal sealed class RawHttpClient : IDisposable
{
    private readonly GreenSocket _sock;
    private byte[] _buf = new byte[64 * 1024];
    private int _start;
    private int _end;

    private RawHttpClient(GreenSocket sock) => _sock = sock;

    public static async Task<RawHttpClient> ConnectAsync(IPEndPoint server)
    {
        GreenSocket s = GreenSocket.CreateTcp();
        await s.ConnectAsync(server);
        return new RawHttpClient(s);
    }

    public ValueTask SendAsync(string text) => _sock.SendAllAsync(Encoding.Latin1.GetBytes(text));

    /// <summary>Reads one response (a HEAD response when <paramref name="head"/>: no body whatever the length says).</summary>
    public async Task<RawResponse> ReadResponseAsync(bool head = false)
    {
        string headText = await ReadUntilAsync("\r\n\r\n");
        string[] lines = headText.Split("\r\n");
        int status = int.Parse(lines[0].Split(' ')[1]);
        var headers = new Dictionary<string, string>();
        foreach (string line in lines.Skip(1))
        {
            int colon = line.IndexOf(':');
            headers[line[..colon].Trim().ToLowerInvariant()] = line[(colon + 1)..].Trim();
        }

        if (head || status is < 200 or 204 or 304)
        {
            return new RawResponse(status, headers, string.Empty, false);
        }

        if (headers.TryGetValue("transfer-encoding", out string? te) && te == "chunked")
        {
            var body = new StringBuilder();
            while (true)
            {
                int size = Convert.ToInt32(await ReadUntilAsync("\r\n"), 16);
                if (size == 0)
                {
                    await ReadUntilAsync("\r\n");
                    return new RawResponse(status, headers, body.ToString(), true);
                }

                body.Append(Encoding.UTF8.GetString(await ReadExactlyAsync(size)));
                await ReadUntilAsync("\r\n");
            }
        }

        if (headers.TryGetValue("content-length", out string? cl))
        {
            return new RawResponse(status, headers, Encoding.UTF8.GetString(await ReadExactlyAsync(int.Parse(cl))), false);
        }

        // Delimited by close.
        var rest = new MemoryStream();
        rest.Write(_buf, _start, _end - _start);
        _start = _end;
        while (await FillAsync())
        {
            rest.Write(_buf, _start, _end - _start);
            _start = _end;
        }

        return new RawResponse(status, headers, Encoding.UTF8.GetString(rest.ToArray()), false);
    }

    /// <summary>Reads a response's status line and headers only (for reading a chunked body piece by piece).</summary>
    public async Task<RawResponse> ReadHeadAsync()
    {
        string headText = await ReadUntilAsync("\r\n\r\n");
        string[] lines = headText.Split("\r\n");
        var headers = lines.Skip(1).ToDictionary(l => l[..l.IndexOf(':')].Trim().ToLowerInvariant(), l => l[(l.IndexOf(':') + 1)..].Trim());
        return new RawResponse(int.Parse(lines[0].Split(' ')[1]), headers, string.Empty, headers.GetValueOrDefault("transfer-encoding") == "chunked");
    }

    /// <summary>Reads one chunk of a chunked body; empty for the last one.</summary>
    public async Task<string> ReadChunkAsync()
    {
        int size = Convert.ToInt32(await ReadUntilAsync("\r\n"), 16);
        string data = size == 0 ? string.Empty : Encoding.UTF8.GetString(await ReadExactlyAsync(size));
        await ReadUntilAsync("\r\n");
        return data;
    }

    /// <summary>True if the server has closed the connection (reads to end of stream).</summary>
    public async Task<bool> ClosedByServerAsync()
    {
        return _end == _start && !await FillAsync();
    }

    /// <summary>
    /// True if the server has closed the connection: the end of the stream, or a reset (a server
    /// that closes with bytes of ours unread resets the connection; what it sent before is read first).
    /// </summary>
    public async Task<bool> ClosedOrResetByServerAsync()
    {
        try
        {
            return await ClosedByServerAsync();
        }
        catch (System.Net.Sockets.SocketException e) when (e.SocketErrorCode == System.Net.Sockets.SocketError.ConnectionReset)
        {
            return true;
        }
    }

    /// <summary>Sends <paramref name="data"/> as it is.</summary>
    public ValueTask SendAsync(byte[] data) => _sock.SendAllAsync(data);

    public void Dispose() => _sock.Close();

    private async Task<string> ReadUntilAsync(string terminator)
    {
        byte[] t = Encoding.ASCII.GetBytes(terminator);
        while (true)
        {
            int at = _buf.AsSpan(_start, _end - _start).IndexOf(t);
            if (at >= 0)
            {
                string s = Encoding.Latin1.GetString(_buf, _start, at);
                _start += at + t.Length;
                return s;
            }

            if (!await FillAsync())
            {
                throw new EndOfStreamException("the server closed the connection before the response was complete");
            }
        }
    }

    public async Task<byte[]> ReadExactlyAsync(int count)
    {
        while (_end - _start < count)
        {
            if (!await FillAsync())
            {
                throw new EndOfStreamException("the server closed the connection in the middle of a body");
            }
        }

        byte[] r = _buf.AsSpan(_start, count).ToArray();
        _start += count;
        return r;
    }

    private async Task<bool> FillAsync()
    {
        if (_start == _end)
        {
            _start = _end = 0;
        }

        if (_end == _buf.Length)
        {
            Array.Resize(ref _buf, _buf.Length * 2);
        }

        int n = await _sock.ReceiveAsync(_buf.AsMemory(_end));
        _end += n;
        return n > 0;
    }
}
