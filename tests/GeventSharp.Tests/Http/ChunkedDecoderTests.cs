using System.Buffers;
using System.Text;
using GeventSharp.Http;
using Xunit;

namespace GeventSharp.Tests.Http;

/// <summary>
/// <see cref="ChunkedDecoder"/> alone, over bytes: valid bodies decode the same whole, split at any
/// point, byte by byte and into a one-byte destination; a partial line is never consumed;
/// malformed bodies are refused with their reason.
/// </summary>
public class ChunkedDecoderTests
{
    private const long MaxBody = 1000;
    private const int MaxTrailers = 64;

    public static TheoryData<string, string> ValidBodies() => new()
    {
        { "0\r\n\r\n", "" },
        { "5\r\nhello\r\n0\r\n\r\n", "hello" },
        { "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "hello world" },
        { "a\r\n0123456789\r\n0\r\n\r\n", "0123456789" },
        { "A\r\n0123456789\r\n0\r\n\r\n", "0123456789" },
        { "000005\r\nhello\r\n0\r\n\r\n", "hello" },
        { "5;name=value\r\nhello\r\n0;last\r\n\r\n", "hello" },
        { "5 \t\r\nhello\r\n0\r\n\r\n", "hello" },
        { "5\r\nhello\r\n0\r\nX-Checksum: 1\r\nX-Other: \tb\r\n\r\n", "hello" },
        { "3\r\n\r\n\n\r\n0\r\n\r\n", "\r\n\n" },
        { "1\r\n\0\r\n0\r\n\r\n", "\0" },
    };

    public static TheoryData<string, string> MalformedBodies() => new()
    {
        { "\r\n", nameof(RejectReason.ChunkSizeNotHex) },
        { "x\r\n", nameof(RejectReason.ChunkSizeNotHex) },
        { "-5\r\n", nameof(RejectReason.ChunkSizeNotHex) },
        { "+5\r\n", nameof(RejectReason.ChunkSizeNotHex) },
        { "0x5\r\n", nameof(RejectReason.ChunkSizeNotHex) },
        { " 5\r\n", nameof(RejectReason.ChunkSizeNotHex) },
        { "5 5\r\n", nameof(RejectReason.ChunkSizeNotHex) },
        { "1000000000000000\r\n", nameof(RejectReason.ChunkSizeNotHex) },
        { "5\nhello\r\n", nameof(RejectReason.ChunkSizeLineControlCharacter) },
        { "5;a=\rb\r\nhello\r\n", nameof(RejectReason.ChunkSizeLineControlCharacter) },
        { "5;a=\nb\r\nhello\r\n", nameof(RejectReason.ChunkSizeLineControlCharacter) },
        { "5;\0\r\nhello\r\n", nameof(RejectReason.ChunkSizeLineControlCharacter) },
        { "5\r\nhello!\r\n0\r\n\r\n", nameof(RejectReason.ChunkLongerThanDeclared) },
        { "5\r\nhelloXY\r\n", nameof(RejectReason.ChunkLongerThanDeclared) },
        { "0\r\nX-Bad: a\u0001b\r\n\r\n", nameof(RejectReason.TrailerControlCharacter) },
        { "0\r\nX-Bad: a\nb\r\n\r\n", nameof(RejectReason.TrailerControlCharacter) },
        { "0\r\nX-Long: " + new string('a', MaxTrailers) + "\r\n\r\n", nameof(RejectReason.TrailersTooLarge) },
        { "5\nhello\n0\n\n", nameof(RejectReason.ChunkSizeLineControlCharacter) }, // no CRLF anywhere: refused all the same
        { "5\r\nhello\n0\n\n", nameof(RejectReason.ChunkLongerThanDeclared) },
        { "0\r\nX: a\n\n", nameof(RejectReason.TrailerControlCharacter) },
        { "0\r\nX-Bad : a\r\n\r\n", nameof(RejectReason.TrailerFieldMalformed) },
        { "0\r\nNoColon\r\n\r\n", nameof(RejectReason.TrailerFieldMalformed) },
        { "0\r\n: no name\r\n\r\n", nameof(RejectReason.TrailerFieldMalformed) },
        { "0\r\nX: a\r\n folded\r\n\r\n", nameof(RejectReason.TrailerFieldMalformed) },
        { "0\r\nX(y: 1\r\n\r\n", nameof(RejectReason.TrailerFieldMalformed) },
        { "3E9\r\n", nameof(RejectReason.ChunkedBodyTooLarge) },
        { "3E8\r\n" + new string('a', 1000) + "\r\n1\r\n", nameof(RejectReason.ChunkedBodyTooLarge) },
        { new string('1', 10) + ";" + new string('e', ChunkedDecoder.MaxLine), nameof(RejectReason.ChunkLineTooLong) },
    };

    [Theory]
    [MemberData(nameof(ValidBodies))]
    public void WholeInput_DecodesTheBody_AndConsumesItAll(string encoded, string body)
    {
        byte[] input = Latin1(encoded);
        var decoder = new ChunkedDecoder(MaxBody, MaxTrailers);
        var destination = new byte[64];

        OperationStatus status = decoder.Decode(input, destination, out int consumed, out int written);

        Assert.Equal(OperationStatus.Done, status);
        Assert.Equal(input.Length, consumed);
        Assert.Equal(body, Encoding.Latin1.GetString(destination, 0, written));
        Assert.True(decoder.IsComplete);
        Assert.Equal(body.Length, decoder.BodyBytes);
    }

    [Theory]
    [MemberData(nameof(ValidBodies))]
    public void EveryPrefix_NeedsMoreData_AndTheRestCompletesIt(string encoded, string body)
    {
        byte[] input = Latin1(encoded);
        for (int cut = 0; cut < input.Length; cut++)
        {
            var decoder = new ChunkedDecoder(MaxBody, MaxTrailers);
            var destination = new byte[64];
            OperationStatus first = decoder.Decode(input.AsSpan(0, cut), destination, out int consumed, out int written);
            Assert.True(first == OperationStatus.NeedMoreData, $"cut at {cut}: {first}");
            Assert.False(decoder.IsComplete);

            OperationStatus second = decoder.Decode(input.AsSpan(consumed), destination.AsSpan(written), out int consumed2, out int written2);
            Assert.Equal(OperationStatus.Done, second);
            Assert.Equal(input.Length, consumed + consumed2);
            Assert.Equal(body, Encoding.Latin1.GetString(destination, 0, written + written2));
        }
    }

    [Theory]
    [MemberData(nameof(ValidBodies))]
    public void APrefixEndingInsideALine_ConsumesNoneOfThatLine(string encoded, string body)
    {
        _ = body;
        byte[] input = Latin1(encoded);
        int firstLine = input.AsSpan().IndexOf("\r\n"u8);
        for (int cut = 0; cut <= firstLine + 1; cut++)
        {
            var decoder = new ChunkedDecoder(MaxBody, MaxTrailers);
            Assert.Equal(OperationStatus.NeedMoreData, decoder.Decode(input.AsSpan(0, cut), new byte[64], out int consumed, out int written));
            Assert.Equal(0, consumed);
            Assert.Equal(0, written);
        }
    }

    [Theory]
    [MemberData(nameof(ValidBodies))]
    public void ByteAtATime_GivesWhatTheWholeInputGives(string encoded, string body)
    {
        var decoder = new ChunkedDecoder(MaxBody, MaxTrailers);
        (OperationStatus status, string decoded) = Feed(Latin1(encoded), step: 1, room: 64, ref decoder);

        Assert.Equal(OperationStatus.Done, status);
        Assert.Equal(body, decoded);
    }

    [Theory]
    [MemberData(nameof(ValidBodies))]
    public void AOneByteDestination_GivesWhatALargeOneGives(string encoded, string body)
    {
        var decoder = new ChunkedDecoder(MaxBody, MaxTrailers);
        (OperationStatus status, string decoded) = Feed(Latin1(encoded), step: int.MaxValue, room: 1, ref decoder);

        Assert.Equal(OperationStatus.Done, status);
        Assert.Equal(body, decoded);
    }

    [Theory]
    [MemberData(nameof(MalformedBodies))]
    public void MalformedInput_IsRefusedWithItsReason_WholeOrByteAtATime(string encoded, string reasonName)
    {
        RejectReason reason = Enum.Parse<RejectReason>(reasonName);
        foreach (int step in new[] { int.MaxValue, 1 })
        {
            var decoder = new ChunkedDecoder(MaxBody, MaxTrailers);
            (OperationStatus status, _) = Feed(Latin1(encoded), step, room: 4096, ref decoder);
            Assert.True(status == OperationStatus.InvalidData, $"step {step}: {status}");
            Assert.Equal(reason, decoder.Rejection);
        }
    }

    [Fact]
    public void AfterARefusal_TheDecoderStaysInvalid()
    {
        var decoder = new ChunkedDecoder(MaxBody, MaxTrailers);
        Assert.Equal(OperationStatus.InvalidData, decoder.Decode("zz\r\n"u8, new byte[8], out _, out _));

        Assert.Equal(OperationStatus.InvalidData, decoder.Decode("0\r\n\r\n"u8, new byte[8], out int consumed, out _));
        Assert.Equal(0, consumed);
    }

    [Fact]
    public void DataBeforeAMalformedLine_IsDelivered()
    {
        var decoder = new ChunkedDecoder(MaxBody, MaxTrailers);
        var destination = new byte[8];

        Assert.Equal(OperationStatus.InvalidData, decoder.Decode("2\r\nok\r\nzz\r\n"u8, destination, out _, out int written));
        Assert.Equal("ok", Encoding.ASCII.GetString(destination, 0, written));
    }

    [Fact]
    public void AFullDestination_StopsInTheData_AndSaysSo()
    {
        var decoder = new ChunkedDecoder(MaxBody, MaxTrailers);
        var destination = new byte[3];

        Assert.Equal(OperationStatus.DestinationTooSmall, decoder.Decode("5\r\nhello\r\n0\r\n\r\n"u8, destination, out int consumed, out int written));
        Assert.Equal(6, consumed);
        Assert.Equal(3, written);
        Assert.True(decoder.InChunkData);
    }

    [Fact]
    public void TheBodyLimit_CountsEveryChunk()
    {
        var decoder = new ChunkedDecoder(maxBodySize: 10, MaxTrailers);
        var destination = new byte[64];

        Assert.Equal(OperationStatus.NeedMoreData, decoder.Decode("5\r\nhello\r\n5\r\nworld\r\n"u8, destination, out _, out _));
        Assert.Equal(OperationStatus.InvalidData, decoder.Decode("1\r\n"u8, destination, out _, out _));
        Assert.Equal(RejectReason.ChunkedBodyTooLarge, decoder.Rejection);
        Assert.Equal(413, decoder.CreateRejection().StatusCode);
        Assert.Contains("(10 bytes)", decoder.CreateRejection().Message, StringComparison.Ordinal);
    }

    /// <summary>Feeds <paramref name="input"/> <paramref name="step"/> bytes at a time into a destination of <paramref name="room"/> bytes, as a connection would.</summary>
    private static (OperationStatus Status, string Body) Feed(byte[] input, int step, int room, ref ChunkedDecoder decoder)
    {
        var body = new StringBuilder();
        var destination = new byte[room];
        int offered = Math.Min(step, input.Length);
        int used = 0;
        while (true)
        {
            OperationStatus status = decoder.Decode(input.AsSpan(used, offered - used), destination, out int consumed, out int written);
            used += consumed;
            body.Append(Encoding.Latin1.GetString(destination, 0, written));
            if (status is OperationStatus.Done or OperationStatus.InvalidData || (status == OperationStatus.NeedMoreData && offered == input.Length))
            {
                return (status, body.ToString());
            }

            if (status == OperationStatus.NeedMoreData)
            {
                offered = (int)Math.Min((long)offered + step, input.Length);
            }
        }
    }

    private static byte[] Latin1(string s) => Encoding.Latin1.GetBytes(s);
}
