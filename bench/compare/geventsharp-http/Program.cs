// GeventSharp HTTP server for bench/compare/http.sh: GET /plaintext and GET / answer
// "Hello, World!" (text/plain), keep-alive, like the Go net/http, Kestrel and pywsgi servers.
//
//   GeventSharpHttp --port 9000 [--host 127.0.0.1] [--hubs N] [--monitor]
//
// --idle adds what bench/idle-connections needs: GET /ws, a WebSocket echo, and GET /gc, a full
// collection answered with the managed heap's size (shared/IdleBench.cs, as in the Kestrel server).
// --hubs N runs N hubs on N threads through GeventSharp's HubGroup, each with its own listener on
// the port (SO_REUSEPORT).
// SIGTERM/SIGINT stop every hub; with --monitor the hub monitor (100 ms) is on and the number of
// blocked-hub reports is printed on exit.
using System.Net;
using GeventSharp;
using GeventSharp.Http;
using GeventSharp.Net;

int port = 9000, hubs = 1;
string host = "127.0.0.1";
bool monitor = false, idle = false;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i].TrimStart('-'))
    {
        case "port": port = int.Parse(args[++i]); break;
        case "host": host = args[++i]; break;
        case "hubs": hubs = int.Parse(args[++i]); break;
        case "monitor": monitor = true; break;
        case "idle": idle = true; break;
        default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
    }
}

byte[] hello = "Hello, World!"u8.ToArray();
var blocked = new BlockedReports();
var group = new HubGroup(new HubGroupOptions { Count = hubs, HubOptions = blocked.HubOptions(monitor) });
_ = group.Started.ContinueWith(
    started => Console.Error.WriteLine($"geventsharp http listening on {started.Result} ({hubs} hub(s))"),
    TaskContinuationOptions.OnlyOnRanToCompletion);
group.Run(new IPEndPoint(IPAddress.Parse(host), port), endpoint => new HttpServer(
    endpoint,
    (request, response) =>
    {
        if (request.Path is not ("/plaintext" or "/"))
        {
            if (idle && request.Path == "/ws" && request.IsWebSocketRequest)
            {
                return EchoAsync(response);
            }

            if (idle && request.Path == "/gc")
            {
                return response.WriteAsync(IdleBench.CollectAndMeasure()).AsTask();
            }

            response.StatusCode = 404;
            return Task.CompletedTask;
        }

        response.ContentType = "text/plain";
        return response.WriteAsync(hello).AsTask();
    },
    new HttpServerOptions { Server = new StreamServerOptions { Backlog = 4096, StopTimeout = TimeSpan.Zero } }));
if (monitor)
{
    Console.Error.WriteLine($"monitor: {blocked.Count} blocked-hub report(s)");
}

return 0;

static async Task EchoAsync(HttpResponse response)
{
    using System.Net.WebSockets.WebSocket ws = await response.AcceptWebSocketAsync();
    await IdleBench.EchoAsync(ws);
}
