using System.Text;
using GeventSharp.Http;
using Xunit;

namespace GeventSharp.Tests.Http;

/// <summary><see cref="ResponseHead"/> alone: what it renders, byte for byte, and that its measure bounds it.</summary>
public class ResponseHeadTests
{
    private const string Date = "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n";

    [Fact]
    public void ALengthDelimitedResponse_WithDate()
        => AssertRenders(
            new ResponseHead(200, null, "text/plain", null, 13, Chunked: false, KeepAlive: true, Http10: false, Server: null),
            Date,
            "HTTP/1.1 200 OK\r\n" + Date + "Content-Type: text/plain\r\nContent-Length: 13\r\n\r\n");

    [Fact]
    public void AChunkedResponse_ThatClosesTheConnection_WithAServerField()
        => AssertRenders(
            new ResponseHead(404, null, null, null, null, Chunked: true, KeepAlive: false, Http10: false, Server: "GeventSharp"),
            "",
            "HTTP/1.1 404 Not Found\r\nServer: GeventSharp\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n");

    [Fact]
    public void AnHttp10KeepAlive_IsSaidSo()
        => AssertRenders(
            new ResponseHead(204, null, null, null, null, Chunked: false, KeepAlive: true, Http10: true, Server: null),
            "",
            "HTTP/1.1 204 No Content\r\nConnection: keep-alive\r\n\r\n");

    [Fact]
    public void TheHandlersFields_InOrder_WithoutTheServersOwn()
    {
        var headers = new HttpHeaders();
        headers.Add("Set-Cookie", "a=1");
        headers.Add("Content-Length", "99");
        headers.Add("Transfer-Encoding", "gzip");
        headers.Add("connection", "keep-alive");
        headers.Add("Content-Type", "text/html");
        headers.Add("Set-Cookie", "b=2");
        headers.Add("X-Note", "cr\u00e8me");

        AssertRenders(
            new ResponseHead(201, "Made It", "application/json", headers, 0, Chunked: false, KeepAlive: true, Http10: false, Server: null),
            "",
            "HTTP/1.1 201 Made It\r\nContent-Type: application/json\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nX-Note: cr\u00e8me\r\nContent-Length: 0\r\n\r\n");
    }

    [Fact]
    public void AnUnknownStatus_GetsItsClassAsReason()
        => AssertRenders(
            new ResponseHead(299, null, null, null, 0, Chunked: false, KeepAlive: true, Http10: false, Server: null),
            "",
            "HTTP/1.1 299 Success\r\nContent-Length: 0\r\n\r\n");

    [Fact]
    public void TheMeasure_BoundsTheRendering_OfALongHead()
    {
        var headers = new HttpHeaders();
        for (int i = 0; i < 50; i++)
        {
            headers.Add($"X-Field-{i}", new string('v', i * 7));
        }

        var head = new ResponseHead(503, new string('r', 300), new string('t', 200), headers, long.MaxValue, Chunked: false, KeepAlive: false, Http10: true, Server: new string('s', 100));
        var buffer = new byte[head.MeasureUpperBound()];

        int written = head.Render(buffer, Encoding.ASCII.GetBytes(Date));

        Assert.InRange(written, 1, buffer.Length);
        Assert.EndsWith("Content-Length: 9223372036854775807\r\nConnection: close\r\n\r\n", Encoding.Latin1.GetString(buffer, 0, written), StringComparison.Ordinal);
    }

    private static void AssertRenders(ResponseHead head, string date, string expected)
    {
        var buffer = new byte[head.MeasureUpperBound()];

        int written = head.Render(buffer, Encoding.ASCII.GetBytes(date));

        Assert.Equal(Encoding.Latin1.GetBytes(expected), buffer.AsSpan(0, written).ToArray());
    }
}
