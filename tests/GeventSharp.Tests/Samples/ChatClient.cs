using System.Net;
using System.Net.Http;
using System.Text.Json;
using System.Text.RegularExpressions;
using GeventSharp.Http;
using GeventSharp.Samples.Chat;
using Xunit;

namespace GeventSharp.Tests.Samples;

/// <summary>One message as the chat sends it in JSON.</summary>
internal sealed record Msg(long Id, string Kind, string Uid, string Text, long At)
{
    public string Line => Kind == "msg" ? $"{Uid}:{Text}" : $"{Uid} {Kind}";
}

/// <summary>A poll's or a frame's JSON.</summary>
internal sealed record Batch(string Epoch, bool Reset, Msg[] Messages, string? Csrf, string? Type)
{
    /// <summary>minichat's lines, notices left out.</summary>
    public string[] Said => Messages.Where(m => m.Kind == "msg").Select(m => m.Line).ToArray();

    public static Batch Parse(string json) => JsonSerializer.Deserialize<Batch>(json, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
}

/// <summary>
/// A "browser" driven with HttpClient: its own cookie jar, the CSRF token and the cursor (epoch
/// and last id) its page was given, sent the way the page's script sends them.
/// </summary>
internal sealed partial class ChatClient : IDisposable
{
    private readonly HttpClientHandler _handler = new() { CookieContainer = new CookieContainer() };
    private readonly HttpClient _http;

    public ChatClient(Uri server, string? origin = null)
    {
        Server = server;
        _http = new HttpClient(_handler) { BaseAddress = server };
        if (origin is not null)
        {
            _http.DefaultRequestHeaders.Add("Origin", origin);
        }
    }

    public CookieContainer Jar => _handler.CookieContainer;

    public string Csrf { get; set; } = "";

    public string Epoch { get; set; } = "";

    public long Last { get; set; }

    public Uri Server { get; }

    public string? Session => Jar.GetCookies(Server)["chat_session"]?.Value;

    public Task<HttpResponseMessage> GetAsync(string path) => _http.GetAsync(path);

    /// <summary>Opens a room's page (or any page); a room page's cursor and CSRF token are kept.</summary>
    public async Task<string> PageAsync(string path)
    {
        using HttpResponseMessage r = await _http.GetAsync(path);
        string page = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == HttpStatusCode.OK, $"{path}: {(int)r.StatusCode} {page}");
        if (CsrfAttr().Match(page) is { Success: true } m)
        {
            Csrf = m.Groups[1].Value;
            Epoch = EpochAttr().Match(page).Groups[1].Value;
            Last = long.Parse(LastAttr().Match(page).Groups[1].Value);
        }

        return page;
    }

    public Task<HttpResponseMessage> PutAsync(string room, string uid, string message, string? csrf = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/put/{Uri.EscapeDataString(room)}/{Uri.EscapeDataString(uid)}")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["message"] = message }),
        };
        request.Headers.Add("X-CSRF-Token", csrf ?? Csrf);
        return _http.SendAsync(request);
    }

    /// <summary>Puts and asserts 200.</summary>
    public async Task SayAsync(string room, string uid, string message)
    {
        using HttpResponseMessage r = await PutAsync(room, uid, message);
        Assert.True(r.StatusCode == HttpStatusCode.OK, $"put: {(int)r.StatusCode} {await r.Content.ReadAsStringAsync()}");
    }

    /// <summary>One long poll from the cursor (or <paramref name="after"/>); the cursor moves to what it got.</summary>
    public async Task<Batch> PollAsync(string room, string uid, long? after = null)
    {
        using HttpResponseMessage r = await PollRawAsync(room, uid, after ?? Last);
        string body = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == HttpStatusCode.OK, $"poll: {(int)r.StatusCode} {body}");
        Batch b = Batch.Parse(body);
        Epoch = b.Epoch;
        if (b.Messages.Length > 0 || b.Reset)
        {
            Last = b.Messages.Length > 0 ? b.Messages[^1].Id : 0; // a reset starts the new sequence from its beginning
        }

        return b;
    }

    public Task<HttpResponseMessage> PollRawAsync(string room, string uid, long after)
        => _http.PostAsync(
            $"/poll/{Uri.EscapeDataString(room)}/{Uri.EscapeDataString(uid)}",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["after"] = after.ToString(), ["epoch"] = Epoch }));

    /// <summary>Polls until a message (not a notice) arrives; its lines.</summary>
    public async Task<string[]> NextSaidAsync(string room, string uid)
    {
        while (true)
        {
            Batch b = await PollAsync(room, uid);
            if (b.Said.Length > 0)
            {
                return b.Said;
            }
        }
    }

    public void Dispose() => _http.Dispose();

    [GeneratedRegex("data-csrf=\"([^\"]*)\"")]
    private static partial Regex CsrfAttr();

    [GeneratedRegex("data-epoch=\"([^\"]*)\"")]
    private static partial Regex EpochAttr();

    [GeneratedRegex("data-last=\"([0-9]*)\"")]
    private static partial Regex LastAttr();
}

/// <summary>Starting a chat server on a loopback port.</summary>
internal static class ChatServer
{
    public static async Task<(HttpServer Server, Uri Address)> StartAsync(ChatApp app, HttpServerOptions? options = null)
    {
        var server = new HttpServer(new IPEndPoint(IPAddress.Loopback, 0), app.HandleAsync, options);
        server.Start();
        await app.StartAsync();
        return (server, new Uri($"http://{server.Address}"));
    }

    /// <summary>
    /// Waits (cooperatively, up to 30 s) until <paramref name="name"/> has <paramref name="count"/>
    /// polls or WebSockets open in <paramref name="room"/>: the server has them, not just the client.
    /// </summary>
    public static async Task ConnectionsOpenAsync(ChatApp app, string room, string name, int count)
    {
        DateTime giveUp = DateTime.UtcNow.AddSeconds(30);
        while (app.OpenConnections(room, name) < count)
        {
            Assert.True(DateTime.UtcNow < giveUp, $"{name} never had {count} connections open in {room} (has {app.OpenConnections(room, name)})");
            await Gevent.Sleep(0.001); // real-time: a condition wait; the client's requests arrive through real sockets
        }
    }
}
