using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using GeventSharp.Http;

namespace GeventSharp.Samples.Chat;

/// <summary>Delivery by cursor (the poll and the WebSocket), admission, and the responses every route shares.</summary>
public sealed partial class ChatApp
{

    private TimeSpan PresenceLease => _options.JanitorInterval * 2 + TimeSpan.FromSeconds(1);

    private async Task PollAsync(HttpRequest request, HttpResponse response, string roomRaw, string uid)
    {
        if (await FormFromOwnPageAsync(request, response, _options.PollBodyLimit, "Polls") is not { } form)
        {
            return;
        }

        if (await AdmitAsync(request, response, roomRaw, uid) is not var (room, name, token))
        {
            return;
        }

        long? after = long.TryParse(form["after"] ?? request.Query["after"], out long a) ? a : null;
        string? epoch = form["epoch"] ?? request.Query["epoch"];
        RoomLog log = await LogAsync(room);
        using Connection? connection = Connect(request, room, name, token);
        if (connection is null)
        {
            await TooManyConnections(request, response);
            return;
        }

        (List<ChatMessage> messages, bool reset) = await NextAsync(log, after, epoch, _options.PollTimeout);
        response.ContentType = "application/json";
        await response.WriteAsync(JsonSerializer.Serialize(new { epoch = log.Epoch, reset, messages, csrf = Guard.CsrfToken(_secret!, token), reconnect = _stopping }, ChatMessage.Json));
    }

    /// <summary>
    /// The WebSocket: the room's sequence pushed as it grows, from the id in <c>?after=</c>. Each
    /// frame is JSON: <c>{"type":"messages"|"reset","epoch":..,"messages":[..]}</c>; the first is
    /// <c>{"type":"hello","csrf":..}</c>. Puts stay <c>POST /put</c>, which answer with a status.
    /// </summary>
    private async Task StreamAsync(HttpRequest request, HttpResponse response, string roomRaw, string uid)
    {
        if (!request.IsWebSocketRequest)
        {
            await Fail(request, response, 400, "This route is a WebSocket.");
            return;
        }

        if (!Guard.SameOrigin(request, _options))
        {
            await Fail(request, response, 403, "WebSockets can only be opened by the chat's own pages.");
            return;
        }

        if (await AdmitAsync(request, response, roomRaw, uid) is not var (room, name, token))
        {
            return;
        }

        long? after = long.TryParse(request.Query["after"], out long a) ? a : null;
        string? epoch = request.Query["epoch"];
        RoomLog log = await LogAsync(room);
        using Connection? connection = Connect(request, room, name, token);
        if (connection is null)
        {
            await TooManyConnections(request, response);
            return;
        }

        // No keep-alive timer per WebSocket: the janitor's heartbeat wakes the room (HeartbeatInterval).
        using WebSocket ws = await response.AcceptWebSocketAsync(keepAliveInterval: TimeSpan.Zero);
        Greenlet self = Greenlet.Current!;
        Greenlet watcher = Gevent.Spawn(async Task () =>
        {
            // The page sends nothing; a receive returns when it closes or goes away.
            byte[] scratch = new byte[16];
            try
            {
                while ((await ws.ReceiveAsync(scratch, default)).MessageType != WebSocketMessageType.Close)
                {
                }

                await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, default);
            }
            catch (WebSocketException)
            {
                // gone without a close handshake
            }

            self.Kill();
        });
        try
        {
            await ws.SendAsync(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { type = "hello", csrf = Guard.CsrfToken(_secret!, token) })), WebSocketMessageType.Text, true, default);
            while (!_stopping)
            {
                (byte[]? frame, long last) = await NextFrameAsync(log, after, epoch);
                if (frame is not null)
                {
                    await ws.SendAsync(frame, WebSocketMessageType.Text, true, default);
                }

                after = last;
                epoch = log.Epoch;
            }

            await ws.CloseOutputAsync((WebSocketCloseStatus)1012, "restarting", default);
        }
        catch (WebSocketException)
        {
            // the page went away mid-send
        }
        finally
        {
            watcher.Kill();
        }
    }

    /// <summary>
    /// A WebSocket's next frame and the id it ends at: everything after <paramref name="after"/>
    /// (a reset when <paramref name="epoch"/> is not the room's), a ping on a heartbeat; null when
    /// stopping. A member that is up to date waits on the room's event (no timer) and, woken by a
    /// new message, sends the room's <see cref="RoomLog.Frame"/>: serialised once, whatever the
    /// number of members, and no batch allocated per member.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<(byte[]? Frame, long Last)> NextFrameAsync(RoomLog log, long? after, string? epoch)
    {
        long beats = log.Beats;
        while (!_stopping && epoch == log.Epoch && after is { } from && log.Loaded)
        {
            if (from == log.LastId)
            {
                await log.Changed.WaitAsync();
                if (log.Beats != beats && log.LastId == from)
                {
                    return (Ping, from);
                }

                continue;
            }

            if (log.Frame is { } f && f.After == from && f.Last == log.LastId)
            {
                return (f.Bytes, f.Last);
            }

            break;
        }

        (List<ChatMessage> messages, bool reset) = await NextAsync(log, after, epoch, null);
        if (messages.Count == 0 && !reset)
        {
            return (null, after ?? log.LastId); // stopping
        }

        byte[] bytes = JsonSerializer.SerializeToUtf8Bytes(new { type = reset ? "reset" : "messages", epoch = log.Epoch, messages }, ChatMessage.Json);
        long last = messages.Count > 0 ? messages[^1].Id : 0;
        if (!reset && after is { } start && last == log.LastId)
        {
            log.Frame = (start, last, bytes);
        }

        return (bytes, last);
    }

    /// <summary>The heartbeat's frame (the page ignores it): traffic now and then, so proxies keep an idle WebSocket open.</summary>
    private static readonly byte[] Ping = """{"type":"ping"}"""u8.ToArray();

    /// <summary>
    /// What comes after <paramref name="after"/> (from now on, without one), waiting up to
    /// <paramref name="wait"/> (forever: null) for something; the recent backlog, marked a reset,
    /// when <paramref name="epoch"/> is not the room's (the sequence it knew was lost).
    /// </summary>
    private async ValueTask<(List<ChatMessage> Messages, bool Reset)> NextAsync(RoomLog log, long? after, string? epoch, TimeSpan? wait)
    {
        DateTimeOffset? deadline = wait is { } w ? Now + w : null;
        while (true)
        {
            if (epoch is not null && epoch != log.Epoch)
            {
                return ((await BacklogAsync(log)).ToList(), true);
            }

            long from = after ??= log.LastId;
            Event changed = log.Changed;
            List<ChatMessage>? batch = log.After(from, 500);
            if (batch is null)
            {
                (string storeEpoch, IReadOnlyList<ChatMessage> older) = await _store.AfterAsync(log.Name, from, 500);
                if (storeEpoch == log.Epoch)
                {
                    return (older.ToList(), false);
                }

                continue;
            }

            if (batch.Count > 0 || _stopping)
            {
                return (batch, false);
            }

            TimeSpan? left = deadline - Now;
            if (left <= TimeSpan.Zero)
            {
                return (batch, false);
            }

            await changed.WaitAsync(left);
        }
    }

    /// <summary>
    /// The form of a POST from one of the chat's own pages, read no further than
    /// <paramref name="limit"/> bytes; null (answered: 403, 413, 415 or 400) otherwise.
    /// </summary>
    private async ValueTask<System.Collections.Specialized.NameValueCollection?> FormFromOwnPageAsync(HttpRequest request, HttpResponse response, int limit, string what)
    {
        if (!Guard.SameOrigin(request, _options))
        {
            await Fail(request, response, 403, $"{what} can only come from the chat's own pages.");
            return null;
        }

        (var form, string? problem, int status) = await Guard.ReadFormAsync(request, limit);
        if (form is null)
        {
            response.Headers["Connection"] = "close"; // the rest of the body is not read
            await Fail(request, response, status, problem!);
        }

        return form;
    }

    /// <summary>The newest <see cref="ChatOptions.BacklogSize"/> messages: from the window, or from the store if the window holds fewer.</summary>
    private async ValueTask<IReadOnlyList<ChatMessage>> BacklogAsync(RoomLog log)
    {
        if (log.Count >= _options.BacklogSize || log.CoveredAfter == 0)
        {
            return log.Last(_options.BacklogSize);
        }

        (string epoch, IReadOnlyList<ChatMessage> recent) = await _store.LastAsync(log.Name, _options.BacklogSize);
        return epoch == log.Epoch ? recent : log.Last(_options.BacklogSize);
    }

    /// <summary>The session, name and room of a poll or WebSocket; null (answered) if it may not.</summary>
    private async ValueTask<(string Room, string Name, string Token)?> AdmitAsync(HttpRequest request, HttpResponse response, string roomRaw, string uid)
    {
        string? token = Guard.Cookie(request, SessionCookie);
        if (token is null)
        {
            await Fail(request, response, 403, $"Join the room first, at /{roomRaw}/{uid}: only the browser that holds a name can listen as it.");
            return null;
        }

        if (ChatNames.Normalize(uid) is not { } name || ChatNames.Room(roomRaw) is not { } room || !await RoomExistsAsync(room, create: false))
        {
            await Fail(request, response, 404, $"There is no room \"{roomRaw}\" (or \"{uid}\" is not a name).");
            return null;
        }

        if (await ClaimAsync(request, name, token) is { } problem)
        {
            await Fail(request, response, problem.Status, problem.Message);
            return null;
        }

        return (room, name, token);
    }

    private async Task TooManyConnections(HttpRequest request, HttpResponse response)
    {
        response.Headers["Retry-After"] = "10";
        await Fail(request, response, 429, "Too many open connections from your address.");
    }

    /// <summary>Counts an open poll or WebSocket (its name and presence stay alive while it is open); null if the address has too many.</summary>
    private Connection? Connect(HttpRequest request, string room, string name, string token)
    {
        string address = Guard.Address(request);
        int open = _connectionsPerAddress.GetValueOrDefault(address);
        if (open >= _options.MaxConnectionsPerAddress)
        {
            return null;
        }

        _connectionsPerAddress[address] = open + 1;
        if (!_presence.TryGetValue((room, name), out Presence? presence))
        {
            _presence[(room, name)] = presence = new Presence();
        }

        string key = ChatNames.Key(name);
        if (!_holders.TryGetValue(key, out Holder? holder) || holder.Token != token)
        {
            _holders[key] = holder = new Holder(name, token) { LastSeen = Now, Renewed = Now }; // admitted a moment ago
        }

        presence.Connections++;
        holder.Connections++;
        return new Connection(this, address, presence, holder);
    }

    private sealed class Connection(ChatApp app, string address, Presence presence, Holder holder) : IDisposable
    {
        public void Dispose()
        {
            presence.Connections--;
            holder.Connections--;
            presence.LastSeen = holder.LastSeen = Now;
            if (--app._connectionsPerAddress[address] == 0)
            {
                app._connectionsPerAddress.Remove(address);
            }
        }
    }

    /// <summary>Someone opened the room's page: present here and in the store; a notice if they were not there.</summary>
    private async ValueTask ArriveAsync(string room, string name)
    {
        if (!_presence.TryGetValue((room, name), out Presence? presence))
        {
            _presence[(room, name)] = presence = new Presence();
        }

        presence.LastSeen = Now;
        if (await _store.TouchAsync(room, name, PresenceLease) && (await _store.OnlineAsync(room, 1)).Count <= _options.NoticeLimit)
        {
            await _store.AppendAsync(room, ChatMessage.Joined, name, "", null, null);
        }
    }

    private static void SecurityHeaders(HttpResponse response)
    {
        response.Headers["Content-Security-Policy"] = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
        response.Headers["X-Content-Type-Options"] = "nosniff";
        response.Headers["Referrer-Policy"] = "same-origin";
        response.Headers["X-Frame-Options"] = "DENY";
        response.Headers["Cross-Origin-Opener-Policy"] = "same-origin";
    }

    private static async Task StaticAsync(HttpResponse response, string file)
    {
        (string? text, string type) = file switch
        {
            "chat.js" => (Pages.Script, "text/javascript; charset=utf-8"),
            "chat.css" => (Pages.Css, "text/css; charset=utf-8"),
            _ => (null, ""),
        };
        if (text is null)
        {
            response.StatusCode = 404;
            return;
        }

        response.ContentType = type;
        response.Headers["Cache-Control"] = "no-cache";
        await response.WriteAsync(text);
    }

    private static async Task Html(HttpResponse response, string page)
    {
        response.ContentType = "text/html; charset=utf-8";
        response.Headers["Cache-Control"] = "no-store";
        await response.WriteAsync(page);
    }

    /// <summary>An error with a sentence saying what was wrong: a page with a way back for a browser, text otherwise.</summary>
    private static async Task Fail(HttpRequest request, HttpResponse response, int status, string message)
    {
        response.StatusCode = status;
        if (request.Headers["Accept"]?.Contains("text/html", StringComparison.Ordinal) == true && request.Method == "GET" && !request.IsWebSocketRequest)
        {
            response.ContentType = "text/html; charset=utf-8";
            await response.WriteAsync(Pages.Error(status, message));
            return;
        }

        response.ContentType = "text/plain; charset=utf-8";
        await response.WriteAsync(message + "\n");
    }

    private const string BadName = "No such page: names (and rooms) are 1 to 32 letters or digits (any script), '-' or '_'.";
}
