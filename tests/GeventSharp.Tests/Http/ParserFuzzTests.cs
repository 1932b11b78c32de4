using System.Buffers;
using System.Diagnostics;
using System.Text;
using GeventSharp.Http;
using Xunit;
using Xunit.Abstractions;

namespace GeventSharp.Tests.Http;

/// <summary>
/// Runs <see cref="ParserFuzzer"/> over the head parser and the chunked decoder: a fixed number of
/// cases from fixed seeds on every test run (deterministic: a failure replays), and for as long as
/// asked with <c>GEVENTSHARP_PARSER_FUZZ_SECONDS</c> (see docs/http.md).
/// </summary>
public class ParserFuzzTests(ITestOutputHelper output)
{
    private const int CasesPerSeed = 25_000;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void MutatedHeadsAndChunkedBodies_AreParsedOrRejected_TheSameWholeAndPieceByPiece(int seed)
    {
        var fuzzer = new ParserFuzzer(seed);
        while (fuzzer.Cases < CasesPerSeed)
        {
            fuzzer.RunOne();
        }
    }

    [Fact]
    public void LongRun_WhenAskedFor()
    {
        if (!int.TryParse(Environment.GetEnvironmentVariable("GEVENTSHARP_PARSER_FUZZ_SECONDS"), out int seconds) || seconds <= 0)
        {
            return; // the suite's share is the theory above
        }

        int seed = int.TryParse(Environment.GetEnvironmentVariable("GEVENTSHARP_PARSER_FUZZ_SEED"), out int s) ? s : Environment.TickCount;
        var fuzzer = new ParserFuzzer(seed);
        var clock = Stopwatch.StartNew(); // real-time: the length of a run asked for by hand, not an assertion
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            for (int i = 0; i < 1000; i++)
            {
                fuzzer.RunOne();
            }
        }

        output.WriteLine($"parser fuzz: seed {seed}, {fuzzer.Cases:N0} cases in {clock.Elapsed.TotalSeconds:N0} s, no failure");
    }

    [Fact]
    public void AChunkLineOverTheLimit_IsRefused_WhetherItArrivesWholeOrInPieces()
    {
        // Regression (found by this fuzzer, seed 2): a chunk-size line with a 8 KiB extension was
        // accepted when its CRLF came in the same read and refused when it came in pieces.
        byte[] body = Encoding.Latin1.GetBytes("5;ext=" + new string('v', ChunkedDecoder.MaxLine) + "\r\nhello\r\n0\r\n\r\n");
        var decoder = new ChunkedDecoder(maxBodySize: 1000, maxTrailerSize: 64);
        Assert.Equal(OperationStatus.InvalidData, decoder.Decode(body, new byte[64], out _, out _));
        Assert.Equal(RejectReason.ChunkLineTooLong, decoder.Rejection);
        ParserFuzzer.ChunkedCase(body, [100, 3000], 8);
    }

    [Fact]
    public void AHeadOfExactlyTheLimit_IsServed_EvenWhenItsEmptyLineArrivesInPieces()
    {
        // Regression (found by this fuzzer, seed 1): a head within MaxHeadSize whose CRLFCRLF had
        // not fully arrived was refused with 431 once the buffer held MaxHeadSize bytes.
        byte[] head = Encoding.Latin1.GetBytes("GET / HTTP/1.1\r\nHost: " + new string('h', 64 - 22) + "\r\n\r\n");
        var limits = new HeadLimits(64, 64, 4);
        Assert.Equal(64, head.Length - 4);
        for (int split = 1; split < head.Length; split++)
        {
            ParserFuzzer.HeadCase(head, limits, [split]);
        }

        Assert.True(HttpRequestParser.TryParse(head.AsSpan(0, 66), limits, out _, out _) is false);
    }

    [Fact]
    public void AValidHeadSplitAnywhere_IsTheSameHead()
    {
        byte[] head = "\r\nGET /a?b HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n"u8.ToArray();
        for (int split = 1; split < head.Length; split++)
        {
            ParserFuzzer.HeadCase(head, new HeadLimits(1024, 256, 10), [split]);
        }

        Assert.Throws<FuzzFailure>(() => ParserFuzzer.ChunkedCase("5\r\nhello\r\n0\r\n\r\n"u8.ToArray(), [], 0)); // a harness that cannot progress says so
    }
}
