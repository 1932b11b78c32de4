using System.Net;
using System.Text;
using System.Text.Json;

namespace GeventSharp.Samples.Chat;

/// <summary>The three pages. Every value is HTML-encoded where it is written; the page's script adds messages as text, never as HTML.</summary>
internal static class Pages
{
    private const string Style = """
        <style>
          body { font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; }
          #messages { list-style: none; padding: 0; border: 1px solid #ccc; min-height: 12rem; max-height: 24rem; overflow-y: auto; }
          #messages li { padding: .2rem .5rem; border-bottom: 1px solid #eee; }
          #status { color: #a00; }
        </style>
        """;

    public static string Choose() => Page("Chat", """
        <h1>Chat</h1>
        <form id="choose">
          <label>Your name <input id="name" name="name" pattern="[A-Za-z0-9_-]{1,32}" maxlength="32" required autofocus></label>
          <button>Enter</button>
        </form>
        <script>
          document.getElementById("choose").addEventListener("submit", e => {
            e.preventDefault();
            location.href = "/" + encodeURIComponent(document.getElementById("name").value);
          });
        </script>
        """);

    public static string Rooms(string uid, IReadOnlyList<string> rooms)
    {
        var list = new StringBuilder();
        foreach (string room in rooms)
        {
            list.Append($"""<li><a href="/{Url(room)}/{Url(uid)}">{Html(room)}</a></li>""");
        }

        return Page("Rooms", $"""
            <h1>Hello, {Html(uid)}</h1>
            <p>Choose a room:</p>
            <ul id="rooms">{list}</ul>
            """);
    }

    public static string Room(string room, string uid, IReadOnlyList<string> backlog)
    {
        var items = new StringBuilder();
        foreach (string line in backlog)
        {
            items.Append("<li>").Append(Html(line)).Append("</li>");
        }

        return Page($"{room} — chat", $$"""
            <h1>{{Html(room)}}</h1>
            <p>You are <b>{{Html(uid)}}</b>. <a href="/{{Url(uid)}}">Other rooms</a></p>
            <ul id="messages">{{items}}</ul>
            <form id="say">
              <input id="message" name="message" autocomplete="off" maxlength="1000" required autofocus>
              <button>Send</button>
            </form>
            <p id="status" role="status"></p>
            <script>
              const room = {{Js(room)}}, uid = {{Js(uid)}};
              const list = document.getElementById("messages"), status = document.getElementById("status");
              function show(line) {
                const li = document.createElement("li");
                li.textContent = line;          // text, never HTML
                list.appendChild(li);
                list.scrollTop = list.scrollHeight;
              }
              document.getElementById("say").addEventListener("submit", async e => {
                e.preventDefault();
                const input = document.getElementById("message");
                const r = await fetch(`/put/${room}/${uid}`, { method: "POST", body: new URLSearchParams({ message: input.value }) });
                if (r.ok) { input.value = ""; status.textContent = ""; } else { status.textContent = await r.text(); }
              });
              async function longPoll() {
                while (true) {
                  try {
                    const r = await fetch(`/poll/${room}/${uid}`, { method: "POST" });
                    if (!r.ok) { status.textContent = await r.text(); return; }
                    for (const line of await r.json()) show(line);
                  } catch {
                    await new Promise(done => setTimeout(done, 1000));   // server away: try again
                  }
                }
              }
              // Pushed over a WebSocket where the browser can; minichat's long poll otherwise.
              let opened = false;
              try {
                const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/${room}/${uid}`);
                ws.onopen = () => { opened = true; document.body.dataset.transport = "websocket"; };
                ws.onmessage = e => show(e.data);
                ws.onclose = () => { if (!opened) { document.body.dataset.transport = "poll"; longPoll(); } else { status.textContent = "disconnected: reload to rejoin"; } };
              } catch {
                document.body.dataset.transport = "poll";
                longPoll();
              }
            </script>
            """);
    }

    private static string Page(string title, string body) => $"""
        <!doctype html>
        <html lang="en">
        <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{Html(title)}</title>{Style}</head>
        <body>
        {body}
        </body>
        </html>
        """;

    private static string Html(string text) => WebUtility.HtmlEncode(text);

    private static string Url(string text) => Uri.EscapeDataString(text);

    /// <summary>A JavaScript string literal, safe inside a script element (System.Text.Json escapes &lt;, &gt;, &amp; and quotes).</summary>
    private static string Js(string text) => JsonSerializer.Serialize(text);
}
