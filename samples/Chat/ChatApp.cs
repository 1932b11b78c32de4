using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using GeventSharp.Http;

namespace GeventSharp.Samples.Chat;

/// <summary>Settings of a <see cref="ChatApp"/>; the defaults are minichat's.</summary>
public sealed record ChatOptions
{
    /// <summary>The rooms (minichat: python and django).</summary>
    public IReadOnlyList<string> Rooms { get; init; } = ["python", "django"];

    /// <summary>How long a poll waits for a message before answering <c>[]</c> (minichat: 10 s).</summary>
    public TimeSpan PollTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How many recent messages joining shows (minichat: 25).</summary>
    public int BacklogSize { get; init; } = 25;

    /// <summary>The longest message, in characters.</summary>
    public int MaxMessageLength { get; init; } = 1000;

    /// <summary>Messages kept for a member who is not polling; older ones are dropped first.</summary>
    public int QueueLimit { get; init; } = 100;

    /// <summary>A member who has not polled for this long leaves the room; a name with no rooms left is free again.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>
/// The chat room of the seed (S12): gevent's classic minichat, ported to <see cref="HttpServer"/>
/// with its defects fixed.
/// </summary>
/// <remarks>
/// <para>Routes as in minichat: <c>GET /</c> (choose a name), <c>GET /{uid}</c> (the rooms),
/// <c>GET /{room}/{uid}</c> (join; shows the last 25 messages), <c>POST /put/{room}/{uid}</c>
/// (form field <c>message</c>; everyone in the room receives <c>uid:message</c>). Polling is per
/// room: <c>POST /poll/{room}/{uid}</c> waits up to 10 s and answers a JSON array of the messages
/// that arrived (minichat: one message, or <c>[]</c> on timeout).</para>
/// <para>Fixed: messages are text, never HTML (minichat inserted them as HTML: XSS); a name
/// belongs to the browser that took it (a session cookie), so nobody posts as someone else; each
/// room has its own queue per member (minichat mixed every room a user joined into one); a member
/// who stops polling leaves after <see cref="ChatOptions.IdleTimeout"/> and queues are bounded
/// (minichat never forgot anyone); history survives restarts with <see cref="SqliteChatHistory"/>.</para>
/// </remarks>
public sealed class ChatApp
{
    private readonly ChatOptions _options;
    private readonly IChatHistory _history;
    private readonly IChatBus _bus;
    private bool _busConnected;
    private readonly Dictionary<string, Dictionary<string, Member>> _rooms;
    private readonly Dictionary<string, User> _users = new();

    /// <summary>Creates the app with its history store and, to share rooms with other processes, a bus (default: this process only).</summary>
    public ChatApp(IChatHistory history, ChatOptions? options = null, IChatBus? bus = null)
    {
        _history = history;
        _bus = bus ?? new LocalChatBus();
        _options = options ?? new ChatOptions();
        _rooms = _options.Rooms.ToDictionary(r => r, _ => new Dictionary<string, Member>());
    }

    /// <summary>Names in use now.</summary>
    public int UserCount => _users.Count;

    /// <summary>Members of <paramref name="room"/> now.</summary>
    public int MemberCount(string room) => _rooms.TryGetValue(room, out var members) ? members.Count : 0;

    /// <summary>Starts receiving the bus's messages on the calling greenlet's hub (the first request does it otherwise).</summary>
    public async ValueTask ConnectBusAsync()
    {
        if (!_busConnected)
        {
            _busConnected = true;
            await _bus.SubscribeAsync(Deliver);
        }
    }

    /// <summary>Spawns the greenlet that removes members who stopped polling; kill it to stop.</summary>
    public Greenlet StartJanitor()
    {
        Greenlet janitor = Gevent.Spawn(async Task () =>
        {
            while (true)
            {
                await Gevent.Sleep(_options.PollTimeout);
                await ForgetIdleAsync();
            }
        });
        janitor.Name = "chat janitor";
        return janitor;
    }

    /// <summary>The <see cref="HttpServer"/> handler.</summary>
    public async Task HandleAsync(HttpRequest request, HttpResponse response)
    {
        await ConnectBusAsync();
        string[] parts = request.Path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        switch (request.Method, parts)
        {
            case ("GET", []):
                await Html(response, Pages.Choose());
                break;
            case ("POST", ["put", var room, var uid]):
                await PutAsync(request, response, room, uid);
                break;
            case ("POST", ["poll", var room, var uid]):
                await PollAsync(request, response, room, uid);
                break;
            case ("GET", ["ws", var room, var uid]) when request.IsWebSocketRequest:
                await StreamAsync(request, response, room, uid);
                break;
            case ("GET", [var uid]) when ValidName(uid):
                await Html(response, Pages.Rooms(uid, _options.Rooms));
                break;
            case ("GET", [var room, var uid]) when _rooms.ContainsKey(room) && ValidName(uid):
                await JoinAsync(request, response, room, uid);
                break;
            case ("GET", _):
                await Fail(response, 404, "No such page. Rooms: " + string.Join(", ", _options.Rooms) + "; names are 1 to 32 letters, digits, '-' or '_'.");
                break;
            default:
                response.Headers["Allow"] = "GET, POST";
                await Fail(response, 405, $"{request.Method} {request.Path} is not a chat route.");
                break;
        }
    }

    private async Task JoinAsync(HttpRequest request, HttpResponse response, string room, string uid)
    {
        if (!_users.TryGetValue(uid, out User? user))
        {
            var claimed = new User(uid, Convert.ToHexString(RandomNumberGenerator.GetBytes(16)));
            if (!await _bus.ClaimNameAsync(uid, claimed.Token, NameLease) || _users.ContainsKey(uid))
            {
                await Fail(response, 409, $"The name \"{uid}\" is taken by someone else right now; choose another.");
                return;
            }

            _users[uid] = user = claimed;
            response.Headers.Add("Set-Cookie", $"{CookieName(uid)}={user.Token}; Path=/; HttpOnly; SameSite=Strict");
        }
        else if (!Owns(request, user))
        {
            await Fail(response, 409, $"The name \"{uid}\" is taken by someone else right now; choose another.");
            return;
        }

        Dictionary<string, Member> members = _rooms[room];
        if (!members.ContainsKey(uid))
        {
            members[uid] = new Member(new GeventSharp.Queue<string>(_options.QueueLimit), Now);
        }

        IReadOnlyList<string> backlog = await _history.LastAsync(room, _options.BacklogSize);
        await Html(response, Pages.Room(room, uid, backlog));
    }

    private async Task PutAsync(HttpRequest request, HttpResponse response, string room, string uid)
    {
        if (Check(request, room, uid) is { } problem)
        {
            await Fail(response, problem.Status, problem.Message);
            return;
        }

        string? message = (await request.ReadFormAsync())["message"]?.Trim();
        if (string.IsNullOrEmpty(message))
        {
            await Fail(response, 400, "The form field \"message\" is missing or empty.");
            return;
        }

        if (message.Length > _options.MaxMessageLength)
        {
            await Fail(response, 413, $"A message may be at most {_options.MaxMessageLength} characters.");
            return;
        }

        string line = uid + ":" + message;
        await _history.AppendAsync(room, line);
        await _bus.PublishAsync(room, line);
    }

    /// <summary>A line published on the bus (by this process or another): into the queue of every member of the room here.</summary>
    private void Deliver(string room, string line)
    {
        if (!_rooms.TryGetValue(room, out Dictionary<string, Member>? members))
        {
            return;
        }

        foreach (Member member in members.Values)
        {
            while (!member.Queue.TryPut(line))
            {
                member.Queue.TryGet(out _); // full (nobody polling): the oldest message goes
            }
        }
    }

    private async Task PollAsync(HttpRequest request, HttpResponse response, string room, string uid)
    {
        if (Check(request, room, uid) is { } problem)
        {
            await Fail(response, problem.Status, problem.Message);
            return;
        }

        Member member = _rooms[room][uid];
        member.Polling++;
        var messages = new List<string>();
        try
        {
            messages.Add(await member.Queue.GetAsync(timeout: _options.PollTimeout));
            while (member.Queue.TryGet(out string? more))
            {
                messages.Add(more);
            }
        }
        catch (QueueEmptyException)
        {
            // nothing within the poll timeout: minichat's []
        }
        finally
        {
            member.Polling--;
            member.LastSeen = Now;
        }

        response.ContentType = "application/json";
        await response.WriteAsync(JsonSerializer.Serialize(messages));
    }

    /// <summary>
    /// The modern transport: a WebSocket on which the server pushes each message of the room as a
    /// text frame as soon as it arrives (puts stay <c>POST /put</c>, which answer errors with a
    /// status). The page uses it when the browser can, and falls back to the long poll.
    /// </summary>
    private async Task StreamAsync(HttpRequest request, HttpResponse response, string room, string uid)
    {
        if (Check(request, room, uid) is { } problem)
        {
            await Fail(response, problem.Status, problem.Message);
            return;
        }

        Member member = _rooms[room][uid];
        using WebSocket ws = await response.AcceptWebSocketAsync();
        member.Polling++;
        Greenlet self = Greenlet.Current!;
        Greenlet watcher = Gevent.Spawn(async Task () =>
        {
            // The browser sends nothing; a receive returns when it closes or goes away.
            byte[] scratch = new byte[256];
            try
            {
                while ((await ws.ReceiveAsync(scratch, default)).MessageType != WebSocketMessageType.Close)
                {
                }

                await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, default); // complete the close handshake
            }
            catch (WebSocketException)
            {
                // gone without a close handshake
            }

            self.Kill();
        });
        try
        {
            while (true)
            {
                string line = await member.Queue.GetAsync();
                await ws.SendAsync(Encoding.UTF8.GetBytes(line), WebSocketMessageType.Text, endOfMessage: true, default);
                member.LastSeen = Now;
            }
        }
        finally
        {
            member.Polling--;
            member.LastSeen = Now;
            watcher.Kill();
        }
    }

    /// <summary>Why this request may not put or poll in the room, or null if it may.</summary>
    private (int Status, string Message)? Check(HttpRequest request, string room, string uid)
    {
        if (!_rooms.TryGetValue(room, out Dictionary<string, Member>? members))
        {
            return (404, $"There is no room \"{room}\".");
        }

        if (!_users.TryGetValue(uid, out User? user) || !members.ContainsKey(uid))
        {
            return (409, $"\"{uid}\" is not in {room} (or left after being idle); join it again at /{room}/{uid}.");
        }

        if (!Owns(request, user))
        {
            return (403, $"Only the browser that joined as \"{uid}\" can speak as \"{uid}\".");
        }

        return null;
    }

    /// <summary>How long a name stays claimed on the bus without renewal (the janitor renews live ones).</summary>
    private TimeSpan NameLease => _options.IdleTimeout * 2;

    private async Task ForgetIdleAsync()
    {
        DateTimeOffset now = Now;
        foreach (Dictionary<string, Member> members in _rooms.Values)
        {
            foreach ((string uid, Member m) in members.ToList())
            {
                if (m.Polling == 0 && now - m.LastSeen > _options.IdleTimeout)
                {
                    members.Remove(uid);
                }
            }
        }

        foreach (User user in _users.Values.ToList())
        {
            if (!_rooms.Values.Any(members => members.ContainsKey(user.Uid)) && now - user.Created > _options.IdleTimeout)
            {
                _users.Remove(user.Uid);
                await _bus.ReleaseNameAsync(user.Uid, user.Token);
            }
            else
            {
                await _bus.ClaimNameAsync(user.Uid, user.Token, NameLease); // still here: renew the claim
            }
        }
    }

    private static bool Owns(HttpRequest request, User user)
    {
        string? cookies = request.Headers["Cookie"];
        if (cookies is null)
        {
            return false;
        }

        string wanted = CookieName(user.Uid) + "=";
        foreach (string c in cookies.Split(';', StringSplitOptions.TrimEntries))
        {
            if (c.StartsWith(wanted, StringComparison.Ordinal)
                && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(c[wanted.Length..]), Encoding.ASCII.GetBytes(user.Token)))
            {
                return true;
            }
        }

        return false;
    }

    private static string CookieName(string uid) => "chat-" + uid;

    private static bool ValidName(string uid) => uid.Length is > 0 and <= 32 && uid.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    private static DateTimeOffset Now => Hub.Current!.TimeProvider.GetUtcNow();

    private static async Task Html(HttpResponse response, string page)
    {
        response.ContentType = "text/html; charset=utf-8";
        response.Headers["Content-Security-Policy"] = "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'";
        await response.WriteAsync(page);
    }

    private static async Task Fail(HttpResponse response, int status, string message)
    {
        response.StatusCode = status;
        response.ContentType = "text/plain; charset=utf-8";
        await response.WriteAsync(message + "\n");
    }

    private sealed class User(string uid, string token)
    {
        public string Uid { get; } = uid;

        public string Token { get; } = token;

        public DateTimeOffset Created { get; } = Now;
    }

    private sealed class Member(GeventSharp.Queue<string> queue, DateTimeOffset lastSeen)
    {
        public GeventSharp.Queue<string> Queue { get; } = queue;

        public DateTimeOffset LastSeen { get; set; } = lastSeen;

        public int Polling { get; set; }
    }
}
