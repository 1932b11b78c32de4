using System.Net;
using System.Text;

namespace GeventSharp.Samples.Chat;

/// <summary>
/// The pages. Every value is HTML-encoded where it is written; the script is a separate file
/// (the Content-Security-Policy allows no inline script), and it adds messages as text, never as HTML.
/// </summary>
internal static class Pages
{
    public static string Choose() => Page("Chat", "choose", """
        <main>
        <h1>Chat</h1>
        <form id="choose">
          <label for="name">Your name</label>
          <input id="name" name="name" maxlength="32" required autofocus autocomplete="nickname"
                 aria-describedby="name-help">
          <button>Enter</button>
          <p id="name-help" class="help">Letters and digits of any script, '-' or '_'; up to 32.</p>
        </form>
        </main>
        """);

    public static string Rooms(string uid, IReadOnlyList<string> rooms)
    {
        var list = new StringBuilder();
        foreach (string room in rooms)
        {
            list.Append($"""<li><a href="/{Url(room)}/{Url(uid)}">{Html(room)}</a></li>""");
        }

        return Page("Rooms", "rooms", $"""
            <main data-uid="{Html(uid)}">
            <h1>Hello, {Html(uid)}</h1>
            <h2 id="rooms-title">Choose a room</h2>
            <ul id="rooms" aria-labelledby="rooms-title">{list}</ul>
            <form id="make">
              <label for="room">Or make a room</label>
              <input id="room" name="room" maxlength="32" required>
              <button>Make and join</button>
            </form>
            <p><a href="/">Choose another name</a></p>
            </main>
            """);
    }

    public static string Room(string room, string uid, IReadOnlyList<ChatMessage> backlog, string epoch, long lastId, string csrf)
    {
        var items = new StringBuilder();
        foreach (ChatMessage m in backlog)
        {
            items.Append(Item(m, uid));
        }

        return Page($"{room} — chat", "room", $"""
            <main data-room="{Html(room)}" data-uid="{Html(uid)}" data-epoch="{Html(epoch)}" data-last="{lastId}" data-csrf="{Html(csrf)}" data-backlog="{backlog.Count}">
            <header>
              <h1>{Html(room)}</h1>
              <p>You are <b id="me">{Html(uid)}</b>. <a href="/{Url(uid)}">Other rooms</a></p>
            </header>
            <div class="layout">
              <section aria-labelledby="messages-title">
                <h2 id="messages-title" class="visually-hidden">Messages</h2>
                <button id="older" type="button"{(backlog.Count < 25 ? " hidden" : "")}>Show older messages</button>
                <ol id="messages" role="log" aria-live="polite" aria-relevant="additions" tabindex="0">{items}</ol>
                <form id="say">
                  <label for="message" class="visually-hidden">Message</label>
                  <input id="message" name="message" autocomplete="off" maxlength="1000" required autofocus placeholder="Message {Html(room)}">
                  <button>Send</button>
                </form>
                <p id="status" role="status" aria-live="polite"></p>
              </section>
              <aside aria-labelledby="online-title">
                <h2 id="online-title">Here now <span id="online-count"></span></h2>
                <ul id="online"></ul>
              </aside>
            </div>
            </main>
            """);
    }

    public static string Error(int status, string message) => Page($"{status} — chat", "error", $"""
        <main>
        <h1>{status}</h1>
        <p id="problem">{Html(message)}</p>
        <p><a href="/">Back to the start</a></p>
        </main>
        """);

    /// <summary>One message as the page shows it (the script builds the same from JSON).</summary>
    private static string Item(ChatMessage m, string me)
    {
        string time = DateTimeOffset.FromUnixTimeMilliseconds(m.At).ToString("yyyy-MM-ddTHH:mm:ssZ");
        string shown = DateTimeOffset.FromUnixTimeMilliseconds(m.At).ToString("HH:mm");
        string stamp = $"""<time datetime="{time}">{shown}</time> """;
        return m.Kind == ChatMessage.Said
            ? $"""<li class="msg{(m.Uid == me ? " own" : "")}" data-id="{m.Id}">{stamp}<b class="who">{Html(m.Uid)}</b><span class="sep">:</span><span class="text">{Html(m.Text)}</span></li>"""
            : $"""<li class="notice" data-id="{m.Id}" data-kind="{Html(m.Kind)}">{stamp}<span class="text">{Html(m.Line)}</span></li>""";
    }

    private static string Page(string title, string kind, string body) => $"""
        <!doctype html>
        <html lang="en">
        <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{Html(title)}</title>
        <link rel="stylesheet" href="/static/chat.css"><script src="/static/chat.js" defer></script></head>
        <body data-page="{kind}">
        {body}
        </body>
        </html>
        """;

    private static string Html(string text) => WebUtility.HtmlEncode(text);

    private static string Url(string text) => Uri.EscapeDataString(text);

    public const string Css = """
        :root { color-scheme: light dark; --line: #8884; --own: #2a6df422; --muted: #777; }
        body { font-family: system-ui, sans-serif; max-width: 56rem; margin: 1rem auto; padding: 0 1rem; }
        .layout { display: flex; gap: 1rem; align-items: flex-start; }
        section { flex: 1; min-width: 0; }
        aside { width: 12rem; }
        #messages { list-style: none; padding: 0; margin: 0; border: 1px solid var(--line); height: 60vh; overflow-y: auto; }
        #messages li { padding: .25rem .5rem; border-bottom: 1px solid var(--line); white-space: pre-wrap; overflow-wrap: anywhere; unicode-bidi: isolate; }
        #messages li.own { background: var(--own); }
        #messages li.notice { color: var(--muted); font-style: italic; }
        #messages li.divider { text-align: center; color: var(--muted); }
        #messages time { color: var(--muted); font-size: .8em; margin-right: .4em; }
        #messages .who { unicode-bidi: isolate; }
        #messages .sep { margin-right: .3em; }
        #say { display: flex; gap: .5rem; margin-top: .5rem; }
        #say input { flex: 1; }
        #status { color: #c33; min-height: 1.2em; }
        #older { margin-bottom: .25rem; }
        .help { color: var(--muted); font-size: .9em; }
        .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
        :focus-visible { outline: 2px solid #2a6df4; outline-offset: 2px; }
        @media (max-width: 40rem) { .layout { flex-direction: column; } aside { width: auto; } }
        """;

    public const string Script = """
        "use strict";
        (() => {
          const page = document.body.dataset.page;
          const $ = id => document.getElementById(id);
          if (page === "choose") {
            $("choose").addEventListener("submit", e => {
              e.preventDefault();
              location.href = "/" + encodeURIComponent($("name").value.trim());
            });
            return;
          }
          if (page === "rooms") {
            const uid = document.querySelector("main").dataset.uid;
            $("make").addEventListener("submit", e => {
              e.preventDefault();
              location.href = "/" + encodeURIComponent($("room").value.trim().toLowerCase()) + "/" + encodeURIComponent(uid);
            });
            return;
          }
          if (page !== "room") return;

          const cfg = document.querySelector("main").dataset;
          const room = cfg.room, uid = cfg.uid, R = encodeURIComponent(room), U = encodeURIComponent(uid);
          let epoch = cfg.epoch, last = Number(cfg.last), csrf = cfg.csrf;
          const list = $("messages"), status = $("status"), input = $("message"), online = new Set();
          const title = document.title;
          let unread = 0, attempts = 0, wsFailures = 0, pollsSinceWebSocket = 0, stopped = false;

          const setStatus = text => { status.textContent = text; };
          const localTime = at => new Date(at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
          for (const t of list.querySelectorAll("time")) t.textContent = localTime(t.getAttribute("datetime"));

          function item(m) {
            const li = document.createElement("li");
            li.dataset.id = m.id;
            const time = document.createElement("time");
            time.dateTime = new Date(m.at).toISOString();
            time.textContent = localTime(m.at);
            const text = document.createElement("span");
            text.className = "text";
            if (m.kind === "msg") {
              li.className = m.uid === uid ? "msg own" : "msg";
              const who = document.createElement("b");
              who.className = "who";
              who.textContent = m.uid;               // text, never HTML
              const sep = document.createElement("span");
              sep.className = "sep";
              sep.textContent = ":";
              text.textContent = m.text;             // text, never HTML
              li.append(time, " ", who, sep, text);
            } else {
              li.className = "notice";
              li.dataset.kind = m.kind;
              text.textContent = m.uid + (m.kind === "join" ? " joined" : " left");
              li.append(time, " ", text);
            }
            return li;
          }

          function showOnline() {
            const ul = $("online");
            ul.replaceChildren(...[...online].sort().map(n => { const li = document.createElement("li"); li.textContent = n; return li; }));
            $("online-count").textContent = `(${online.size})`;
          }

          function add(messages) {
            const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
            for (const m of messages) {
              if (m.id <= last) continue;            // already shown: never twice
              list.appendChild(item(m));
              last = m.id;
              if (m.kind === "join") online.add(m.uid);
              if (m.kind === "leave") online.delete(m.uid);
              if (m.kind === "msg" && m.uid !== uid && document.visibilityState === "hidden") unread++;
            }
            if (messages.some(m => m.kind !== "msg")) showOnline();
            document.title = unread ? `(${unread}) ${title}` : title;
            if (atBottom) list.scrollTop = list.scrollHeight;
          }

          function reset(messages, newEpoch) {
            const divider = document.createElement("li");
            divider.className = "divider";
            divider.textContent = "— the room's history was restarted —";
            list.appendChild(divider);
            epoch = newEpoch;
            last = 0;
            add(messages);
          }

          function receive(f) {
            if (f.csrf) csrf = f.csrf;
            if (f.reset || f.type === "reset") reset(f.messages, f.epoch);
            else if (f.messages) add(f.messages);
          }

          const delay = () => { const d = Math.min(10000, 500 * 2 ** attempts++); return d / 2 + Math.random() * d / 2; };
          const later = (fn, ms) => setTimeout(fn, ms);

          async function refreshOnline() {
            try {
              const r = await fetch(`/online/${R}`);
              if (r.ok) { const o = await r.json(); online.clear(); for (const n of o.names) online.add(n); showOnline(); }
            } catch { }
          }

          // One long poll: true if the server answered (messages or none), false if it said we may not.
          async function pollOnce() {
            const r = await fetch(`/poll/${R}/${U}`, { method: "POST", headers: { "X-CSRF-Token": csrf }, body: new URLSearchParams({ after: last, epoch }) });
            if (r.status === 503 || r.status === 429) throw new Error(await r.text());
            if (!r.ok) { stopped = true; setStatus(await r.text()); return false; }
            const f = await r.json();
            receive(f);
            if (f.reconnect) throw new Error("server restarting");
            return true;
          }

          async function pollLoop() {
            document.body.dataset.transport = "poll";
            while (!stopped) {
              try {
                const polling = pollOnce();
                document.body.dataset.connected = "yes";
                if (!await polling) return;
                attempts = 0;
                setStatus("");
                if (typeof WebSocket === "function" && ++pollsSinceWebSocket >= 6) {
                  // Polling because WebSockets kept failing: try one again now and then.
                  wsFailures = 0;
                  pollsSinceWebSocket = 0;
                  connect();
                  return;
                }
              } catch {
                document.body.dataset.connected = "no";
                setStatus("reconnecting…");
                await new Promise(done => later(done, delay()));
              }
            }
          }

          function connect() {
            if (stopped) return;
            if (typeof WebSocket !== "function" || wsFailures >= 3) { pollLoop(); return; }
            let opened = false, ws;
            try {
              ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/${R}/${U}?after=${last}&epoch=${encodeURIComponent(epoch)}`);
            } catch { wsFailures = 3; pollLoop(); return; }
            ws.onopen = () => { opened = true; attempts = 0; wsFailures = 0; document.body.dataset.transport = "websocket"; document.body.dataset.connected = "yes"; setStatus(""); refreshOnline(); };
            ws.onmessage = e => receive(JSON.parse(e.data));
            ws.onclose = async e => {
              document.body.dataset.connected = "no";
              if (stopped) return;
              setStatus("reconnecting…");
              if (e.code === 1012) { later(connect, 200 + Math.random() * 1500); return; }
              if (!opened) {
                // Refused or unreachable: one poll tells which (and delivers meanwhile).
                wsFailures++;
                try { if (!await pollOnce()) return; setStatus(""); } catch { }
              }
              later(connect, delay());
            };
          }

          $("say").addEventListener("submit", async e => {
            e.preventDefault();
            const text = input.value;
            if (!text.trim()) return;
            try {
              const r = await fetch(`/put/${R}/${U}`, { method: "POST", headers: { "X-CSRF-Token": csrf }, body: new URLSearchParams({ message: text }) });
              if (r.ok) { input.value = ""; setStatus(""); }
              else setStatus(`Not sent: ${await r.text()}`);
            } catch {
              setStatus("Not sent: the server cannot be reached; try again in a moment.");
            }
            input.focus();
          });

          $("older").addEventListener("click", async () => {
            const first = list.querySelector("li[data-id]");
            if (!first) return;
            const r = await fetch(`/history/${R}?before=${first.dataset.id}`);
            if (!r.ok) return;
            const { messages } = await r.json();
            const height = list.scrollHeight;
            list.prepend(...messages.map(item));
            list.scrollTop += list.scrollHeight - height;
            if (messages.length < 50) $("older").hidden = true;
          });

          document.addEventListener("visibilitychange", () => {
            if (document.visibilityState === "visible") { unread = 0; document.title = title; }
          });
          setInterval(refreshOnline, 30000);
          list.scrollTop = list.scrollHeight;
          refreshOnline();
          connect();
        })();
        """;
}
