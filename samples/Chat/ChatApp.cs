using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using GeventSharp.Http;

namespace GeventSharp.Samples.Chat;

/// <summary>
/// The chat room of the seed (S12): gevent's classic minichat, ported to <see cref="HttpServer"/>
/// with its defects fixed, delivering by cursor.
/// </summary>
/// <remarks>
/// <para>Routes as in minichat: <c>GET /</c> (choose a name), <c>GET /{uid}</c> (the rooms),
/// <c>GET /{room}/{uid}</c> (join; shows the last 25 messages), <c>POST /put/{room}/{uid}</c>
/// (form field <c>message</c>), <c>POST /poll/{room}/{uid}</c> (the long poll, per room); new:
/// <c>GET /ws/{room}/{uid}</c> (the same sequence pushed over a WebSocket),
/// <c>GET /history/{room}?before=id</c> (older messages), <c>GET /online/{room}</c>.</para>
/// <para>History is the queue: each room is one sequence of messages with increasing ids; a poll
/// or a WebSocket says the last id it has and gets what comes after. So every connection of a
/// user gets every message, an abandoned poll takes nothing from anyone, and a reconnect resumes
/// where it stopped. This process keeps a window of each room's recent messages in memory,
/// whatever the number of members.</para>
/// </remarks>
public sealed partial class ChatApp
{
    /// <summary>The session cookie: a random token that holds names (the name itself is in the path).</summary>
    internal const string SessionCookie = "chat_session";

    private readonly ChatOptions _options;
    private readonly IChatStore _store;
    private readonly Dictionary<string, RoomLog> _logs = new();
    private readonly HashSet<string> _dirty = new();
    private readonly Event _wake = new();
    private readonly Dictionary<string, Holder> _holders = new();
    private readonly Dictionary<(string Room, string Uid), Presence> _presence = new();
    private readonly Dictionary<string, int> _connectionsPerAddress = new();
    private readonly HashSet<string> _knownRooms;
    private readonly RateLimiter _putsPerSession, _putsPerAddress, _claimsPerAddress;
    private readonly List<Greenlet> _background = new();
    private readonly Semaphore _startLock = new(1);
    private bool _started;
    private byte[]? _secret;
    private bool _stopping;

    /// <summary>One process, its history in <paramref name="history"/>.</summary>
    public ChatApp(IChatHistory history, ChatOptions? options = null)
        : this(new LocalChatStore(history), options)
    {
    }

    /// <summary>Shares rooms, names and history with every process on <paramref name="store"/>.</summary>
    public ChatApp(IChatStore store, ChatOptions? options = null)
    {
        _store = store;
        _options = options ?? new ChatOptions();
        _knownRooms = _options.Rooms.Select(r => ChatNames.Room(r) ?? throw new ArgumentException($"\"{r}\" cannot be a room's name.")).ToHashSet();
        _putsPerSession = new RateLimiter(_options.PutBurst, _options.PutsPerSecond);
        _putsPerAddress = new RateLimiter(_options.AddressPutBurst, _options.AddressPutsPerSecond);
        _claimsPerAddress = new RateLimiter(_options.ClaimBurst, _options.ClaimsPerSecond);
    }

    /// <summary>Names held through this process now.</summary>
    public int UserCount => _holders.Count;

    /// <summary>The background loops (the follower, and the janitor once started) that are alive: they must all be, always.</summary>
    public int BackgroundAlive => _background.Count(g => !g.Ready);

    /// <summary>People in <paramref name="room"/> through this process now (connected, or within <see cref="ChatOptions.PresenceGrace"/> of it).</summary>
    public int MemberCount(string room) => _presence.Keys.Count(k => k.Room == room);

    /// <summary>How many polls and WebSockets of <paramref name="name"/> are open in <paramref name="room"/> (tests wait on it).</summary>
    public int OpenConnections(string room, string name) => _presence.TryGetValue((room, name), out Presence? presence) ? presence.Connections : 0;

    private static DateTimeOffset Now => Hub.Current!.TimeProvider.GetUtcNow();

    /// <summary>
    /// Subscribes to the store and starts the follower, the supervised loop that brings each room's
    /// window up to date (the first request does it otherwise). Retries by itself while the store is down.
    /// </summary>
    public async ValueTask StartAsync()
    {
        if (_started)
        {
            return;
        }

        using LockScope _ = await _startLock.AcquireScopeAsync();
        if (!_started)
        {
            await _store.SubscribeAsync(Changed, Restored);
            _background.Add(Supervisor.Start("chat follower", FollowAsync, TimeSpan.Zero, TimeSpan.FromSeconds(1), _options.Log));
            _started = true;
        }
    }

    /// <summary>
    /// Spawns the janitor, the supervised loop that renews the names and presence of people here
    /// and forgets those who left (it survives store outages). Kill it to stop.
    /// </summary>
    public Greenlet StartJanitor()
    {
        Greenlet janitor = Supervisor.Start("chat janitor", SweepAsync, TimeSpan.Zero, TimeSpan.FromSeconds(2), _options.Log);
        _background.Add(janitor);
        return janitor;
    }

    /// <summary>
    /// Graceful stop: polls answer at once, WebSockets are closed with 1012 (service restart) so
    /// the pages reconnect, to this process's successor or another one. Then stop the server.
    /// </summary>
    public void BeginShutdown()
    {
        _stopping = true;
        foreach (RoomLog log in _logs.Values)
        {
            log.Signal();
        }
    }

    /// <summary>Stops the background loops.</summary>
    public void StopBackground()
    {
        foreach (Greenlet g in _background)
        {
            g.Kill();
        }
    }

    /// <summary>The <see cref="HttpServer"/> handler.</summary>
    public async Task HandleAsync(HttpRequest request, HttpResponse response)
    {
        SecurityHeaders(response);
        string[] parts = request.Path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        (string Allow, Func<Task> Run)? route = parts switch
        {
            [] => ("GET", () => Html(response, Pages.Choose())),
            ["static", var file] => ("GET", () => StaticAsync(response, file)),
            ["put", var room, var uid] => ("POST", () => PutAsync(request, response, room, uid)),
            ["poll", var room, var uid] => ("POST", () => PollAsync(request, response, room, uid)),
            ["ws", var room, var uid] => ("GET", () => StreamAsync(request, response, room, uid)),
            ["history", var room] => ("GET", () => HistoryAsync(request, response, room)),
            ["online", var room] => ("GET", () => OnlineAsync(response, room)),
            [var uid] => ("GET", () => RoomsPageAsync(request, response, uid)),
            [var room, var uid] => ("GET", () => JoinAsync(request, response, room, uid)),
            _ => null,
        };
        if (route is null)
        {
            await Fail(request, response, 404, "No such page.");
            return;
        }

        if (request.Method != route.Value.Allow && !(request.Method == "HEAD" && route.Value.Allow == "GET"))
        {
            response.Headers["Allow"] = route.Value.Allow == "GET" ? "GET, HEAD" : route.Value.Allow;
            await Fail(request, response, 405, $"{request.Path} answers {route.Value.Allow} only.");
            return;
        }

        try
        {
            await StartAsync();
            _secret ??= await _store.SecretAsync();
            await route.Value.Run();
        }
        catch (Exception e) when (IsOutage(e) && !response.HasStarted)
        {
            response.Headers["Retry-After"] = "5";
            await Fail(request, response, 503, "The chat cannot reach its message store right now, so nothing was sent or changed; it recovers by itself, try again in a few seconds.");
        }
    }

    private static bool IsOutage(Exception e)
        => e is StackExchange.Redis.RedisException or StackExchange.Redis.RedisTimeoutException or Microsoft.Data.Sqlite.SqliteException;

    private async Task RoomsPageAsync(HttpRequest request, HttpResponse response, string uid)
    {
        if (ChatNames.Normalize(uid) is not { } name)
        {
            await Fail(request, response, 404, BadName);
            return;
        }

        IReadOnlyList<string> made = await _store.RoomsAsync();
        await Html(response, Pages.Rooms(name, _knownRooms.Order(StringComparer.Ordinal).Concat(made.Except(_knownRooms)).ToList()));
    }

    private async Task JoinAsync(HttpRequest request, HttpResponse response, string roomRaw, string uid)
    {
        if (ChatNames.Normalize(uid) is not { } name || ChatNames.Room(roomRaw) is not { } room)
        {
            await Fail(request, response, 404, BadName);
            return;
        }

        string? token = Guard.Cookie(request, SessionCookie);
        if (token is null || token.Length != 32)
        {
            token = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();
            response.Headers.Add("Set-Cookie", $"{(_options.Https ? "__Host-" : "")}{SessionCookie}={token}; Path=/; HttpOnly; SameSite=Strict{(_options.Https ? "; Secure" : "")}");
        }

        if (await ClaimAsync(request, name, token) is { } problem)
        {
            await Fail(request, response, problem.Status == 403 ? 409 : problem.Status, problem.Message);
            return;
        }

        if (!await RoomExistsAsync(room, create: true))
        {
            await Fail(request, response, 403, $"There are {_options.MaxRooms} rooms already, the most there may be; join one of them.");
            return;
        }

        await ArriveAsync(room, name);
        RoomLog log = await LogAsync(room);
        await SyncAsync(log); // the page shows the arrival just written
        IReadOnlyList<ChatMessage> backlog = await BacklogAsync(log);
        await Html(response, Pages.Room(room, name, backlog, log.Epoch, log.LastId, Guard.CsrfToken(_secret!, token)));
    }

    private async Task PutAsync(HttpRequest request, HttpResponse response, string roomRaw, string uid)
    {
        if (await FormFromOwnPageAsync(request, response, _options.PutBodyLimit, "Messages") is not { } form)
        {
            return;
        }

        string? token = Guard.Cookie(request, SessionCookie);
        if (token is null || !Guard.CsrfMatches(_secret!, token, request.Headers["X-CSRF-Token"] ?? form["csrf"]))
        {
            await Fail(request, response, 403, "This request did not come from the chat's page (no session, or a wrong CSRF token); reload the page.");
            return;
        }

        TimeSpan? wait = _putsPerSession.Take(token, Now) ?? _putsPerAddress.Take(Guard.Address(request), Now);
        if (wait is { } retry)
        {
            response.Headers["Retry-After"] = Math.Max(1, (int)Math.Ceiling(retry.TotalSeconds)).ToString();
            await Fail(request, response, 429, "Slow down: too many messages in a short time.");
            return;
        }

        string? message = Clean(form["message"]);
        if (string.IsNullOrEmpty(message))
        {
            await Fail(request, response, 400, "The form field \"message\" is missing or empty.");
            return;
        }

        if (message.Length > _options.MaxMessageLength)
        {
            await Fail(request, response, 413, $"A message may be at most {_options.MaxMessageLength} characters.");
            return;
        }

        if (ChatNames.Normalize(uid) is not { } name || ChatNames.Room(roomRaw) is not { } room || !await RoomExistsAsync(room, create: false))
        {
            await Fail(request, response, 404, $"There is no room \"{roomRaw}\" (or \"{uid}\" is not a name).");
            return;
        }

        if (await ClaimAsync(request, name, token) is { } problem)
        {
            await Fail(request, response, problem.Status, problem.Message);
            return;
        }

        ChatMessage? stored = await _store.AppendAsync(room, ChatMessage.Said, name, message, ChatNames.Key(name), token);
        if (stored is null && _holders.Remove(ChatNames.Key(name)) && await ClaimAsync(request, name, token) is null)
        {
            // The claim was lost under a holder here (the store restarted empty): claimed again, try once more.
            stored = await _store.AppendAsync(room, ChatMessage.Said, name, message, ChatNames.Key(name), token);
        }

        if (stored is null)
        {
            _holders.Remove(ChatNames.Key(name));
            await Fail(request, response, 403, $"Only the browser that holds the name \"{name}\" can speak as \"{name}\".");
            return;
        }

        await HoldAsync(room, stored);
        response.ContentType = "application/json";
        await response.WriteAsync($"{{\"id\":{stored.Id}}}");
    }

    /// <summary>
    /// Read your writes: before a put is acknowledged, this process's window holds the message, so
    /// a poll or a page served here after the answer has it (another process's window gets it from
    /// the store's notice, a moment later). Without this, a poll from id 0 right after the put could
    /// answer with the window as it was, the store's notice still on its way. If the store fails
    /// now, the message is stored all the same: the follower brings the window up to date.
    /// </summary>
    private async ValueTask HoldAsync(string room, ChatMessage stored)
    {
        if (!_logs.TryGetValue(room, out RoomLog? log) || !log.Loaded || log.LastId >= stored.Id)
        {
            return;
        }

        try
        {
            await SyncAsync(log);
        }
        catch (Exception e) when (IsOutage(e))
        {
            _options.Log($"room {room}: message {stored.Id} is stored; the window here catches up when the store answers again ({e.Message})");
        }
    }

    /// <summary>A message as it may be stored: trimmed, without control characters other than line breaks and tabs.</summary>
    private static string? Clean(string? message)
    {
        if (message is null)
        {
            return null;
        }

        var sb = new StringBuilder(message.Length);
        foreach (char c in message.Trim())
        {
            if (!char.IsControl(c) || c is '\n' or '\t')
            {
                sb.Append(c);
            }
        }

        return sb.ToString().Trim().Normalize(NormalizationForm.FormC);
    }

    private async Task HistoryAsync(HttpRequest request, HttpResponse response, string roomRaw)
    {
        if (ChatNames.Room(roomRaw) is not { } room || !long.TryParse(request.Query["before"], out long before))
        {
            await Fail(request, response, 404, "Ask for /history/{room}?before={id}.");
            return;
        }

        IReadOnlyList<ChatMessage> older = await _store.BeforeAsync(room, before, 50);
        response.ContentType = "application/json";
        await response.WriteAsync(JsonSerializer.Serialize(new { messages = older }, ChatMessage.Json));
    }

    private async Task OnlineAsync(HttpResponse response, string roomRaw)
    {
        (IReadOnlyList<string> names, long count) = ChatNames.Room(roomRaw) is { } room ? await _store.OnlineAsync(room, 200) : ([], 0);
        response.ContentType = "application/json";
        await response.WriteAsync(JsonSerializer.Serialize(new { names, count }, ChatMessage.Json));
    }

    /// <summary>
    /// Makes sure <paramref name="token"/> holds <paramref name="name"/> (claiming it if it is free,
    /// as after a restart that forgot the claims); the problem to answer otherwise.
    /// </summary>
    private async ValueTask<(int Status, string Message)?> ClaimAsync(HttpRequest request, string name, string token)
    {
        string key = ChatNames.Key(name);
        if (_holders.TryGetValue(key, out Holder? holder) && holder.Token == token && Now - holder.Renewed < _options.JanitorInterval)
        {
            holder.LastSeen = Now;
            return null;
        }

        bool mine = holder?.Token == token;
        if (!mine && _claimsPerAddress.Take(Guard.Address(request), Now) is { } retry)
        {
            return (429, $"Too many names from your address; try again in {Math.Ceiling(retry.TotalSeconds)} s.");
        }

        ClaimResult result = await _store.ClaimNameAsync(key, token, _options.IdleTimeout);
        if (result == ClaimResult.Taken)
        {
            return (403, $"The name \"{name}\" is taken by someone else right now; choose another.");
        }

        if (!_holders.TryGetValue(key, out holder) || holder.Token != token)
        {
            _holders[key] = holder = new Holder(name, token);
        }

        holder.LastSeen = holder.Renewed = Now;
        return null;
    }

    private async ValueTask<bool> RoomExistsAsync(string room, bool create)
    {
        if (_knownRooms.Contains(room))
        {
            return true;
        }

        if (create ? await _store.AddRoomAsync(room, _options.MaxRooms) : (await _store.RoomsAsync()).Contains(room))
        {
            _knownRooms.Add(room);
            return true;
        }

        return false;
    }

    /// <summary>This process's window on <paramref name="room"/>, filled from the store if it was not.</summary>
    private async ValueTask<RoomLog> LogAsync(string room)
    {
        if (!_logs.TryGetValue(room, out RoomLog? log))
        {
            _logs[room] = log = new RoomLog(room, _options.WindowSize);
        }

        if (!log.Loaded)
        {
            await SyncAsync(log);
        }

        return log;
    }

    private sealed class Holder(string name, string token)
    {
        public string Name { get; } = name;

        public string Token { get; } = token;

        public DateTimeOffset LastSeen { get; set; }

        public DateTimeOffset Renewed { get; set; }

        public int Connections { get; set; }
    }

    private sealed class Presence
    {
        public DateTimeOffset LastSeen { get; set; }

        public int Connections { get; set; }
    }
}
