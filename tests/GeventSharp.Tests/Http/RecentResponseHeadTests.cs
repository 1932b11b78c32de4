using System.Text;
using GeventSharp.Http;
using GeventSharp.Tests.Net;
using Xunit;

namespace GeventSharp.Tests.Http;

/// <summary>
/// <see cref="RecentResponseHead"/>: a head that repeats the last one (same fields, same <c>Date</c>
/// line) is copied as it was rendered; anything else is rendered, and a server's responses say
/// what each one is, whatever came before.
/// </summary>
public class RecentResponseHeadTests
{
    private static readonly byte[] s_date = Encoding.ASCII.GetBytes("Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n");
    private static readonly ResponseHead s_plain = new(200, null, "text/plain", null, 13, Chunked: false, KeepAlive: true, Http10: false, Server: null);

    public static TheoryData<string> Changes => ["status", "reason", "type", "length", "chunked", "close", "http10", "server", "date"];

    [Fact]
    public void TheSameFieldsAndDate_GetTheKeptHead_AsRenderMakesIt()
    {
        var recent = new RecentResponseHead();
        Remember(recent, s_plain, s_date);

        var copy = new byte[1024];
        int n = recent.TryCopy(s_plain with { ContentType = new string("text/plain".ToCharArray()) }, s_date.ToArray(), copy);

        Assert.Equal(Render(s_plain, s_date), copy.AsSpan(0, n).ToArray());
    }

    [Theory]
    [MemberData(nameof(Changes))]
    public void AnyFieldOrTheDateChanged_IsRenderedAgain(string change)
    {
        var recent = new RecentResponseHead();
        Remember(recent, s_plain, s_date);
        byte[] date = change == "date" ? Encoding.ASCII.GetBytes("Date: Sun, 06 Nov 1994 08:49:38 GMT\r\n") : s_date;
        ResponseHead other = change switch
        {
            "status" => s_plain with { Status = 201 },
            "reason" => s_plain with { ReasonPhrase = "Fine" },
            "type" => s_plain with { ContentType = "text/html" },
            "length" => s_plain with { ContentLength = 14 },
            "chunked" => s_plain with { ContentLength = null, Chunked = true },
            "close" => s_plain with { KeepAlive = false },
            "http10" => s_plain with { Http10 = true },
            "server" => s_plain with { Server = "GeventSharp" },
            _ => s_plain,
        };

        Assert.Equal(-1, recent.TryCopy(other, date, new byte[1024]));
    }

    [Fact]
    public void AHeadWithHandlerFields_IsNotKept()
    {
        var recent = new RecentResponseHead();
        var headers = new HttpHeaders();
        headers.Add("X-Note", "a");
        ResponseHead withFields = s_plain with { Headers = headers };
        Remember(recent, withFields, s_date);

        Assert.Equal(-1, recent.TryCopy(withFields, s_date, new byte[1024]));
    }

    [Fact]
    public void ResponsesTakingTurns_EachSayWhatTheyAre_OnTheWire() => NetHub.Run(PollerKind.Epoll, async () =>
    {
        await using HttpServer server = HttpIdleBufferTests.StartServer((request, response) =>
        {
            switch (request.Path)
            {
                case "/missing":
                    response.StatusCode = 404;
                    break;
                case "/noted":
                    response.Headers["X-Note"] = "yes";
                    break;
                case "/longer":
                    response.ContentType = "text/plain";
                    return response.WriteAsync("Hello, World, again!"u8.ToArray()).AsTask();
            }

            response.ContentType = "text/plain";
            return response.WriteAsync("Hello, World!"u8.ToArray()).AsTask();
        });
        using RawHttpClient client = await RawHttpClient.ConnectAsync(server.Address);

        foreach (string path in new[] { "/", "/", "/missing", "/", "/noted", "/", "/longer", "/" })
        {
            await client.SendAsync($"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n");
            RawResponse got = await client.ReadResponseAsync();

            Assert.Equal(path == "/missing" ? 404 : 200, got.Status);
            Assert.Equal(path == "/noted" ? "yes" : null, got.Header("X-Note"));
            string body = path == "/longer" ? "Hello, World, again!" : "Hello, World!";
            Assert.Equal(body, got.Body);
            Assert.Equal(body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), got.Header("Content-Length"));
            Assert.Equal("text/plain", got.Header("Content-Type"));
        }
    });

    private static void Remember(RecentResponseHead recent, ResponseHead fields, byte[] date)
    {
        byte[] rendered = Render(fields, date);
        Assert.Equal(-1, recent.TryCopy(fields, date, new byte[1024])); // nothing kept yet (or something else)
        recent.Remember(fields, date, rendered);
    }

    private static byte[] Render(ResponseHead fields, byte[] date)
    {
        var buffer = new byte[fields.MeasureUpperBound()];
        return buffer.AsSpan(0, fields.Render(buffer, date)).ToArray();
    }
}
