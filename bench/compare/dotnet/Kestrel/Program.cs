// Kestrel: the ASP.NET Core minimal-API server of the HTTP/1.1 plaintext benchmark (bench/compare/http.sh),
// and with --echo Kestrel's TCP echo server of bench/compare/echo.sh (a ConnectionHandler, EchoHandler.cs).
//
//   Kestrel --port PORT [--host 127.0.0.1] [--echo] [--idle]
//
// --idle adds what bench/idle-connections needs: GET /ws, a WebSocket echo, and GET /gc, a full
// collection answered with the managed heap's size (../../shared/IdleBench.cs, as in the GeventSharp server).
// GET /plaintext and GET / answer 200 with "Content-Type: text/plain" and the 13-byte body
// "Hello, World!"; other paths answer 404. Kestrel keeps HTTP/1.1 connections alive. No logging
// provider is registered, so no request or lifetime logging is measured. Kestrel runs on the
// default thread pool (all cores) with the Web SDK's default server GC; listen backlog 4096 as for
// the echo servers; TCP_NODELAY is Kestrel's default.
using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Connections;

static string? Opt(string[] args, string name)
{
    for (int i = 0; i < args.Length - 1; i++)
    {
        if (args[i] == "-" + name || args[i] == "--" + name)
        {
            return args[i + 1];
        }
    }

    return null;
}

if (!int.TryParse(Opt(args, "port"), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is <= 0 or > 65535)
{
    Console.Error.WriteLine("usage: Kestrel --port PORT [--host 127.0.0.1] [--echo]");
    return 2;
}

IPAddress host = IPAddress.Parse(Opt(args, "host") ?? "127.0.0.1");
bool echo = args.Contains("--echo") || args.Contains("-echo");
bool idle = args.Contains("--idle");

// No args: the command line is ours, not configuration.
WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.UseSockets(s => s.Backlog = 4096);
builder.WebHost.ConfigureKestrel(k =>
{
    k.AddServerHeader = false;
    if (echo)
    {
        k.Listen(host, port, listen => listen.UseConnectionHandler<EchoHandler>());
    }
    else
    {
        k.Listen(host, port);
    }
});

WebApplication app = builder.Build();
IResult Hello() => Results.Text("Hello, World!", "text/plain");
app.MapGet("/plaintext", Hello);
app.MapGet("/", Hello);
if (idle)
{
    app.UseWebSockets();
    app.Map("/ws", async (HttpContext context) =>
    {
        using System.Net.WebSockets.WebSocket ws = await context.WebSockets.AcceptWebSocketAsync();
        await IdleBench.EchoAsync(ws);
    });
    app.MapGet("/gc", () => Results.Text(IdleBench.CollectAndMeasure(), "text/plain"));
}

Console.Error.WriteLine($"kestrel {(echo ? "echo" : "http")} listening on {host}:{port}");
await app.RunAsync();
return 0;
