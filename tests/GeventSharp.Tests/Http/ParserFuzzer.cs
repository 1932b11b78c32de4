using System.Buffers;
using System.Text;
using GeventSharp.Http;

namespace GeventSharp.Tests.Http;

/// <summary>
/// A deterministic, libFuzzer-style mutation fuzzer for the request-head parser and the chunked
/// decoder: seeded corpora of valid and invalid inputs, byte mutations, splicing, and arbitrary
/// split points for incremental parsing. Each case is checked for: no exception but the documented
/// rejection (<see cref="HttpBadRequestException"/>), bounded work (the drivers' loops have a
/// budget), and the same outcome parsed whole and parsed piece by piece, as a connection reads.
/// </summary>
/// <remarks>
/// A failure message names the seed and case number and shows the input escaped, so it can be
/// replayed with <see cref="HeadCase"/> or <see cref="ChunkedCase"/> and kept as a regression test.
/// </remarks>
internal sealed class ParserFuzzer(int seed)
{
    private static readonly string[] s_heads =
    [
        "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /a/b?c=d&e HTTP/1.1\r\nHost: example.com:8080\r\nAccept: */*\r\nUser-Agent: fuzz\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
        "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        "GET http://other:81/p HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "OPTIONS * HTTP/1.1\r\nHost:\r\n\r\n",
        "GET / HTTP/1.0\r\n\r\n",
        "\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\nX-Empty:\r\nX-Tab:\tv\t\r\nX-Obs: caf\u00e9\r\n\r\n",
        "GET / HTTP/1.1\nHost: x\n\n",
        "GET / HTTP/1.1\r\nHost : x\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",
        "GET /\u0001 HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET / HTTP/2.0\r\nHost: x\r\n\r\n",
        "G@T / HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\rAccept: y\r\n\r\n",
        "\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003",
        "GET  / HTTP/1.1\r\nHost: x\r\n\r\n",
    ];

    private static readonly string[] s_chunked =
    [
        "0\r\n\r\n",
        "5\r\nhello\r\n0\r\n\r\n",
        "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
        "A\r\n0123456789\r\n0\r\n\r\n",
        "5;name=value;q=\"x y\"\r\nhello\r\n0;last\r\n\r\n",
        "5 \t\r\nhello\r\n0\r\n\r\n",
        "5\r\nhello\r\n0\r\nX-Checksum: 1\r\nX-Other: \tb\r\n\r\n",
        "3\r\n\r\n\n\r\n0\r\n\r\n",
        "5\nhello\n0\n\n",
        "5\r\nhello!\r\n0\r\n\r\n",
        "g\r\nhello\r\n0\r\n\r\n",
        "ffffffffffffffffff\r\n",
        "5\r\nhello\r\n0\r\nX-Sum : 1\r\n\r\n",
        "-1\r\nx\r\n0\r\n\r\n",
    ];

    private static readonly byte[] s_interesting = "\r\n:; \t\0\u007f0aAfF/?%@[]\"=,"u8.ToArray().Concat(new byte[] { 0x80, 0xFF, 0x16 }).ToArray();

    private static readonly HeadLimits[] s_headLimits = [new(32 * 1024, 8 * 1024, 100), new(256, 64, 4), new(64, 16, 2)];

    private readonly Random _random = new(seed);
    private readonly byte[][] _headSeeds = s_heads.Select(Encoding.Latin1.GetBytes).ToArray();
    private readonly byte[][] _chunkedSeeds = s_chunked.Select(Encoding.Latin1.GetBytes).ToArray();

    /// <summary>Cases run so far.</summary>
    public long Cases { get; private set; }

    /// <summary>Runs one mutated head case and one mutated chunked case; a failure throws with a replayable description.</summary>
    public void RunOne()
    {
        long n = Cases++;
        byte[] head = Mutate(_headSeeds);
        HeadLimits limits = s_headLimits[_random.Next(s_headLimits.Length)];
        int[] headSplits = Splits(head.Length);
        Check(() => HeadCase(head, limits, headSplits), "head", n, head, headSplits);

        byte[] body = Mutate(_chunkedSeeds);
        int[] bodySplits = Splits(body.Length);
        int destination = _random.Next(4) == 0 ? 1 + _random.Next(3) : 1 + _random.Next(64);
        Check(() => ChunkedCase(body, bodySplits, destination), "chunked", n, body, bodySplits);
    }

    /// <summary>
    /// One head case: parsed whole, then grown piece by piece at <paramref name="splits"/> as the
    /// connection's buffer grows; both must agree, and only a rejection may be thrown.
    /// </summary>
    public static void HeadCase(byte[] input, HeadLimits limits, int[] splits)
    {
        string whole = ParseHead(input, limits, out int wholeConsumed);
        string piecewise = "need more";
        int offset = 0;
        int consumed = 0;
        foreach (int end in splits.Append(input.Length))
        {
            piecewise = ParseHead(input.AsSpan(offset, end - offset), limits, out consumed);
            if (piecewise != "need more")
            {
                break;
            }

            offset += consumed; // the empty lines before a request line are dropped as they come
        }

        if (Kind(whole) != Kind(piecewise) || (whole.StartsWith("head", StringComparison.Ordinal) && wholeConsumed != offset + consumed))
        {
            throw new FuzzFailure($"whole: {whole} (consumed {wholeConsumed}); piece by piece: {piecewise} (consumed {offset + consumed})");
        }
    }

    /// <summary>
    /// One chunked case: decoded whole into a large destination, then fed piece by piece at
    /// <paramref name="splits"/> into a destination of <paramref name="destinationSize"/> bytes; the
    /// data, the end state and the rejection must agree, and each call must make progress.
    /// </summary>
    public static void ChunkedCase(byte[] input, int[] splits, int destinationSize)
    {
        (string wholeEnd, byte[] wholeData) = Decode(input, [], 64 * 1024);
        (string piecesEnd, byte[] piecesData) = Decode(input, splits, destinationSize);
        if (Kind(wholeEnd) != Kind(piecesEnd) || !wholeData.AsSpan().SequenceEqual(piecesData))
        {
            throw new FuzzFailure($"whole: {wholeEnd}, {wholeData.Length} data bytes; piece by piece: {piecesEnd}, {piecesData.Length} data bytes");
        }
    }

    /// <summary>
    /// What must agree: the head or the data and where they end, or a rejection — not which of
    /// several faults in an input is reported (piece by piece, the first to arrive is).
    /// </summary>
    private static string Kind(string outcome) => outcome.StartsWith("rejected", StringComparison.Ordinal) ? "rejected" : outcome;

    private static string ParseHead(ReadOnlySpan<byte> input, HeadLimits limits, out int consumed)
    {
        consumed = 0;
        try
        {
            if (!HttpRequestParser.TryParse(input, limits, out consumed, out RequestHead head))
            {
                return "need more";
            }

            var text = new StringBuilder($"head {head.Method} {head.Target} {head.Version}");
            foreach (KeyValuePair<string, string> field in head.Headers)
            {
                text.Append('|').Append(field.Key).Append(": ").Append(field.Value);
            }

            return text.ToString();
        }
        catch (HttpBadRequestException e)
        {
            return $"rejected {e.StatusCode}";
        }
    }

    private static (string End, byte[] Data) Decode(byte[] input, int[] splits, int destinationSize)
    {
        var decoder = new ChunkedDecoder(maxBodySize: 1000, maxTrailerSize: 64);
        var data = new List<byte>();
        byte[] destination = new byte[destinationSize];
        int start = 0; // unconsumed input starts here
        int budget = 4 * (input.Length + 16); // calls: each must consume or write something, or wait for more
        foreach (int end in splits.Append(input.Length))
        {
            while (true)
            {
                if (--budget < 0)
                {
                    throw new FuzzFailure("the decoder made no progress (a hang)");
                }

                OperationStatus status = decoder.Decode(input.AsSpan(start, end - start), destination, out int consumed, out int written);
                if (consumed < 0 || written < 0 || consumed > end - start || written > destination.Length)
                {
                    throw new FuzzFailure($"impossible counts: consumed {consumed}, written {written}");
                }

                start += consumed;
                data.AddRange(destination.AsSpan(0, written));
                switch (status)
                {
                    case OperationStatus.Done:
                        return ("done at " + start, data.ToArray());
                    case OperationStatus.InvalidData:
                        return ("rejected " + decoder.Rejection, data.ToArray());
                    case OperationStatus.DestinationTooSmall:
                        continue;
                    default:
                        if (consumed == 0 && written == 0)
                        {
                            goto nextPiece; // needs more input than this piece
                        }

                        continue;
                }
            }

            nextPiece:;
        }

        return ("need more at " + start, data.ToArray());
    }

    private static void Check(Action run, string what, long n, byte[] input, int[] splits)
    {
        try
        {
            run();
        }
        catch (Exception e) when (e is not HttpBadRequestException)
        {
            throw new FuzzFailure($"{what} case {n}: {e.GetType().Name}: {e.Message}\n  input: \"{Escape(input)}\"\n  splits: [{string.Join(", ", splits)}]", e);
        }
    }

    private byte[] Mutate(byte[][] seeds)
    {
        var bytes = new List<byte>(seeds[_random.Next(seeds.Length)]);
        int mutations = 1 + _random.Next(_random.Next(2) == 0 ? 3 : 12);
        for (int i = 0; i < mutations; i++)
        {
            int at = bytes.Count == 0 ? 0 : _random.Next(bytes.Count + 1);
            switch (_random.Next(9))
            {
                case 0 when bytes.Count > 0 && at < bytes.Count:
                    bytes[at] = (byte)_random.Next(256); // any byte
                    break;
                case 1 when bytes.Count > 0 && at < bytes.Count:
                    bytes[at] = s_interesting[_random.Next(s_interesting.Length)];
                    break;
                case 2:
                    bytes.Insert(at, s_interesting[_random.Next(s_interesting.Length)]);
                    break;
                case 3 when bytes.Count > 0 && at < bytes.Count:
                    bytes.RemoveRange(at, Math.Min(1 + _random.Next(4), bytes.Count - at));
                    break;
                case 4 when bytes.Count > 0 && at < bytes.Count:
                {
                    int length = Math.Min(1 + _random.Next(32), bytes.Count - at);
                    bytes.InsertRange(at, bytes.GetRange(at, length)); // a repeated range (a repeated field, a longer line)
                    break;
                }

                case 5:
                {
                    byte[] other = seeds[_random.Next(seeds.Length)]; // splice: our head, another's tail
                    int from = _random.Next(other.Length + 1);
                    bytes.RemoveRange(at, bytes.Count - at);
                    bytes.AddRange(other.AsSpan(from).ToArray());
                    break;
                }

                case 6:
                    bytes.InsertRange(at, "\r\n"u8.ToArray());
                    break;
                case 7 when at < bytes.Count:
                    bytes.RemoveRange(at, bytes.Count - at); // truncated
                    break;
                case 8:
                {
                    int length = 1 + _random.Next(_random.Next(4) == 0 ? 40_000 : 300);
                    byte fill = s_interesting[_random.Next(s_interesting.Length)];
                    bytes.InsertRange(at, Enumerable.Repeat(fill, length)); // a long run: limits
                    break;
                }
            }
        }

        return bytes.ToArray();
    }

    /// <summary>Increasing split points inside the input: none, a few at random, or every byte.</summary>
    private int[] Splits(int length)
    {
        int kind = _random.Next(8);
        if (length <= 1 || kind == 0)
        {
            return [];
        }

        if (kind == 1 && length <= 2000)
        {
            return Enumerable.Range(1, length - 1).ToArray(); // byte by byte
        }

        return Enumerable.Range(0, 1 + _random.Next(6)).Select(_ => 1 + _random.Next(length - 1)).Distinct().Order().ToArray();
    }

    /// <summary>The bytes as a C# string literal's contents (printable ASCII as is, the rest escaped), at most 2000 of them; shared by the fuzz tests' failure messages.</summary>
    internal static string Escape(byte[] input)
    {
        var text = new StringBuilder();
        foreach (byte b in input.Take(2000))
        {
            text.Append(b switch
            {
                (byte)'\r' => "\\r",
                (byte)'\n' => "\\n",
                (byte)'\t' => "\\t",
                (byte)'"' => "\\\"",
                (byte)'\\' => "\\\\",
                >= 0x20 and < 0x7F => ((char)b).ToString(),
                _ => $"\\u{b:x4}",
            });
        }

        return input.Length > 2000 ? text.Append($"... ({input.Length} bytes)").ToString() : text.ToString();
    }
}

/// <summary>A property of the parsers broken by a fuzz case.</summary>
internal sealed class FuzzFailure(string message, Exception? inner = null) : Exception(message, inner);
