// The seed's chat room (S12): gevent's minichat on GeventSharp's HttpServer, hardened.
//
//   dotnet run --project samples/Chat -c Release -- [--port 5000] [--host 127.0.0.1] [--db chat.db | --memory]
//        [--redis HOST:PORT] [--cert server.pfx | --behind-https] [--origin https://chat.example] [--put-rate 2] [--no-limits] [--stop-timeout 2] [--no-access-log]
//
// Then open http://127.0.0.1:5000/ in a browser. History is kept in the SQLite file given by --db
// (default chat.db in the current folder), so a restarted server resumes every page where it
// was; --memory keeps it in memory only, as minichat did. --redis shares rooms, names, sessions
// and history with every other process started with the same Redis: run several on different
// ports behind any load balancer (no stickiness needed). SIGTERM (or Ctrl+C) stops gracefully:
// pages are told to reconnect, requests in progress get a moment to finish. Logging
// (docs/logging.md) goes to the console: an access-log line per response on standard output
// (--no-access-log: none), warnings and errors on standard error.
using System.Net;
using System.Security.Cryptography.X509Certificates;
using GeventSharp;
using GeventSharp.Http;
using GeventSharp.Samples.Chat;
using Microsoft.Extensions.Logging;

int port = 5000;
string host = "127.0.0.1";
string? db = "chat.db";
string? redis = null;
string? cert = null;
bool https = false;
var origins = new List<string>();
double? putRate = null;
bool noLimits = false;
int responseBuffer = 3070;
double stopTimeout = 2;
bool accessLog = true;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--port": port = int.Parse(args[++i]); break;
        case "--host": host = args[++i]; break;
        case "--db": db = args[++i]; break;
        case "--memory": db = null; break;
        case "--redis": redis = args[++i]; break;
        case "--cert": cert = args[++i]; https = true; break;
        case "--behind-https": https = true; break;
        case "--origin": origins.Add(args[++i]); break;
        case "--put-rate": putRate = double.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
        case "--no-limits": noLimits = true; break;
        case "--response-buffer": responseBuffer = int.Parse(args[++i]); break;
        case "--stop-timeout": stopTimeout = double.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
        case "--no-access-log": accessLog = false; break;
        default:
            Console.Error.WriteLine($"unknown argument {args[i]}; usage: Chat [--port 5000] [--host 127.0.0.1] [--db chat.db | --memory] [--redis HOST:PORT] [--cert server.pfx | --behind-https] [--origin URL] [--put-rate PER_SECOND] [--no-limits] [--stop-timeout SECONDS] [--no-access-log]");
            return 2;
    }
}

var options = new ChatOptions { Https = https, AllowedOrigins = origins };
if (putRate is { } rate)
{
    options = options with { PutsPerSecond = rate, PutBurst = Math.Max(1, rate * 5), AddressPutsPerSecond = rate, AddressPutBurst = Math.Max(1, rate * 5) };
}

if (noLimits)
{
    // For load tests from one address (bench/chat-fanout): rate and connection limits out of the way.
    options = options with { PutBurst = 1e9, AddressPutBurst = 1e9, ClaimBurst = 1e9, ClaimsPerSecond = 1e9, MaxConnectionsPerAddress = int.MaxValue };
}

using ILoggerFactory loggers = LoggerFactory.Create(logging => logging
    .AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Warning)
    .AddSimpleConsole(format => format.SingleLine = true));
using var sqlite = db is null || redis is not null ? null : new SqliteChatHistory(db);
Gevent.Run(async () =>
{
    await using RedisChatStore? shared = redis is null ? null : await RedisChatStore.ConnectAsync(redis);
    ChatApp app = shared is not null ? new ChatApp(shared, options) : new ChatApp(sqlite ?? (IChatHistory)new MemoryChatHistory(), options);
    var serverOptions = new HttpServerOptions
    {
        // No chat route takes more than a few KiB; the chat refuses more per route before reading.
        MaxRequestBodySize = 64 * 1024,

        // Each connection holds its response buffer (plus a 1 KiB head reserve, rounded up to a
        // power of two by the pool) for as long as it is open, WebSockets included: 3,070 bytes
        // keep it at 4 KiB instead of 32 KiB per member; larger pages simply go out chunked.
        ResponseBufferSize = responseBuffer,
        AccessLog = accessLog,
        Server = new() { StopTimeout = TimeSpan.FromSeconds(stopTimeout) },
        Certificate = cert is null ? null : X509CertificateLoader.LoadPkcs12FromFile(cert, null),
    };
    var server = new HttpServer(new IPEndPoint(IPAddress.Parse(host), port), app.HandleAsync, serverOptions);
    server.Start();
    try
    {
        await app.StartAsync();
    }
    #pragma warning disable GS0004 // at startup, in the main greenlet (nothing kills it or times it out yet), any failure of the store, its own timeouts included, means "serve anyway"
    catch (Exception e)
    #pragma warning restore GS0004
    {
        Console.Error.WriteLine($"the store is not reachable yet ({e.Message}); serving anyway, it will be retried");
    }

    app.StartJanitor();
    Console.WriteLine($"chat on {(cert is null ? "http" : "https")}://{server.Address}/ (history: {(redis is not null ? "Redis " + redis : db ?? "in memory")})");

    // Graceful stop on SIGTERM or Ctrl+C: tell the pages to reconnect (elsewhere, or here after a
    // restart), then stop the server: new connections are refused, idle ones close, requests in
    // progress get StopTimeout to finish. ServeForeverAsync returns once that is done.
    using IDisposable signals = Gevent.OnShutdownSignal(async () =>
    {
        Task stopping = server.StopAsync(); // the listener is closed when it returns
        Console.WriteLine("stopping: pages are told to reconnect");
        app.BeginShutdown();
        await stopping;
    });
    await server.ServeForeverAsync();
    app.StopBackground();
}, new HubOptions { LoggerFactory = loggers });
return 0;
