using System.Diagnostics;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using GeventSharp.Samples.Chat;
using Xunit;

namespace GeventSharp.Tests.Samples;

/// <summary>The chat as a real process (the sample's own Chat.dll): killed with SIGKILL under load, stopped with SIGTERM.</summary>
public class ChatProcessTests
{
    [Fact]
    public async Task Kill9UnderLoad_LosesNoAcknowledgedMessage()
    {
        string db = Path.Combine(Path.GetTempPath(), $"geventsharp-chat-kill-{Guid.NewGuid():N}.db");
        int port = SampleProcess.FreePort();

        var acknowledged = new System.Collections.Concurrent.ConcurrentBag<string>();
        string session = Guid.NewGuid().ToString("N");
        try
        {
            for (int round = 0; round < 3; round++)
            {
                using SampleProcess chat = await StartAsync(port, db);
                var handler = new HttpClientHandler { CookieContainer = new CookieContainer() };
                handler.CookieContainer.Add(new Uri($"http://127.0.0.1:{port}"), new Cookie("chat_session", session));
                using var http = new HttpClient(handler) { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
                string csrf = Regex.Match(await http.GetStringAsync("/python/loader"), "data-csrf=\"([^\"]*)\"").Groups[1].Value;
                using var stop = new CancellationTokenSource();
                int target = (round + 1) * 150;
                var enough = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                Task[] writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
                {
                    for (int i = 0; !stop.IsCancellationRequested; i++)
                    {
                        string text = $"r{round}w{w}m{i}";
                        try
                        {
                            using var put = new HttpRequestMessage(HttpMethod.Post, "/put/python/loader") { Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["message"] = text }) };
                            put.Headers.Add("X-CSRF-Token", csrf);
                            using HttpResponseMessage r = await http.SendAsync(put);
                            if (r.StatusCode == HttpStatusCode.OK)
                            {
                                acknowledged.Add(text);
                                if (acknowledged.Count >= target)
                                {
                                    enough.TrySetResult();
                                }
                            }
                        }
                        catch (HttpRequestException)
                        {
                            return; // killed under us: whatever was not acknowledged may be lost
                        }
                        catch (TaskCanceledException)
                        {
                            return;
                        }
                    }
                })).ToArray();

                // The load runs until enough puts were acknowledged (bounded at 30 s), then SIGKILL mid-load.
                await Task.WhenAny(enough.Task, Task.WhenAll(writers)).WaitAsync(TimeSpan.FromSeconds(30)).ContinueWith(static _ => { });

                chat.Process.Kill();
                chat.Process.WaitForExit();
                stop.Cancel();
                await Task.WhenAll(writers).WaitAsync(TimeSpan.FromSeconds(15));
            }

            using var history = new SqliteChatHistory(db);
            var stored = new HashSet<string>();
            GeventSharp.Gevent.Run(async () =>
            {
                foreach (ChatMessage m in await history.AfterAsync("python", 0, 1_000_000))
                {
                    stored.Add(m.Text);
                }
            });
            Assert.True(acknowledged.Count >= 450, $"only {acknowledged.Count} puts acknowledged");
            List<string> lost = acknowledged.Where(t => !stored.Contains(t)).ToList();
            Assert.True(lost.Count == 0, $"{lost.Count} of {acknowledged.Count} acknowledged messages lost: {string.Join(", ", lost.Take(10))}");
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            foreach (string f in new[] { db, db + "-wal", db + "-shm" })
            {
                File.Delete(f);
            }
        }
    }

    [Fact]
    public async Task Sigterm_ClosesWebSocketsWith1012_RefusesNewConnections_AndExitsZero()
    {
        string db = Path.Combine(Path.GetTempPath(), $"geventsharp-chat-term-{Guid.NewGuid():N}.db");
        int port = SampleProcess.FreePort();
        try
        {
            using SampleProcess chat = await StartAsync(port, db);
            var jar = new CookieContainer();
            using var http = new HttpClient(new HttpClientHandler { CookieContainer = jar }) { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            (await http.GetAsync("/python/alice")).Dispose();
            using var ws = new System.Net.WebSockets.ClientWebSocket();
            ws.Options.Cookies = jar;
            await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/ws/python/alice"), default);
            await ChatTests.ReceiveAsync(ws); // hello: the WebSocket's handler runs, SIGTERM comes mid-request

            await chat.SignalAsync("TERM");

            var buffer = new byte[1024];
            System.Net.WebSockets.WebSocketReceiveResult closed = await ws.ReceiveAsync(new ArraySegment<byte>(buffer), default).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(System.Net.WebSockets.WebSocketMessageType.Close, closed.MessageType);
            Assert.Equal(1012, (int)closed.CloseStatus!); // "service restart": the page reconnects by itself

            // The stop began (the listener closed) before the pages were told: a reconnect here is refused.
            Assert.True(await SampleProcess.IsRefusedAsync(port), "a new connection was accepted after SIGTERM");
            await ws.CloseOutputAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "bye", default); // the handshake completes: the handler ends in time
            Assert.Equal(0, await chat.ExitCodeAsync());
            Assert.DoesNotContain("killed", chat.StandardError);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            foreach (string f in new[] { db, db + "-wal", db + "-shm" })
            {
                File.Delete(f);
            }
        }
    }

    [Fact]
    public void TheProcess_CapsItsGen0Budget()
    {
        // Without the cap the GC sizes gen0 from the L3 cache (80 MiB on a VM reporting 260 MB) and
        // each chat process keeps that much garbage resident: 20 KiB per member instead of 12-13
        // with two processes of 5,000 WebSocket members (samples/Chat/README.md, "Memory").
        using var config = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Chat.runtimeconfig.json")));
        System.Text.Json.JsonElement properties = config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");
        Assert.Equal(16 * 1024 * 1024, properties.GetProperty("System.GC.Gen0MaxBudget").GetInt64());
    }

    private static async Task<SampleProcess> StartAsync(int port, string db)
        => (await SampleProcess.StartAsync("Chat.dll", ["--port", port.ToString(), "--db", db, "--put-rate", "100000"], "chat on")).Process;
}
