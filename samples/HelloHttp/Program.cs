// gevent's wsgiserver.py example on GeventSharp's HttpServer, with a graceful stop:
//
//   dotnet run --project samples/HelloHttp -c Release -- [--port 8088] [--stop-timeout 1] [--no-access-log] [--hubs N]
//
// --hubs N serves on N hubs, one thread each (0: one per core), through a HubGroup; the default, 1,
// is gevent's single thread.
// GET / says hello; GET /slow?seconds=3 sends "started", waits, then "done" (a request that is
// still running when a stop begins). SIGTERM or Ctrl+C stop the server the way gevent's
// server.stop(timeout) does: new connections are refused, idle keep-alive connections close,
// requests in progress get --stop-timeout seconds to finish, the rest are killed (and reported).
// Logging (docs/logging.md) goes to the console: an access-log line per response on standard
// output, warnings and errors (a killed request, a failed handler) on standard error.
using System.Globalization;
using System.Net;
using GeventSharp;
using GeventSharp.Http;
using GeventSharp.Net;
using Microsoft.Extensions.Logging;

int port = 8088;
double stopTimeout = 1;
bool accessLog = true;
int hubs = 1;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--port": port = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--stop-timeout": stopTimeout = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--no-access-log": accessLog = false; break;
        case "--hubs": hubs = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        default:
            Console.Error.WriteLine($"unknown argument {args[i]}; usage: HelloHttp [--port 8088] [--stop-timeout SECONDS] [--no-access-log] [--hubs N]");
            return 2;
    }
}

using ILoggerFactory loggers = LoggerFactory.Create(logging => logging
    .AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Warning)
    .AddSimpleConsole(format => format.SingleLine = true));
var options = new HttpServerOptions { AccessLog = accessLog, Server = new StreamServerOptions { StopTimeout = TimeSpan.FromSeconds(stopTimeout) } };
if (hubs != 1)
{
    // N hubs: each runs its own HttpServer (its own connections, logger calls and metrics); SIGTERM
    // or Ctrl+C stops them all gracefully.
    var group = new HubGroup(new HubGroupOptions { Count = hubs == 0 ? null : hubs, HubOptions = new HubOptions { LoggerFactory = loggers } });
    _ = group.Started.ContinueWith(started => Console.WriteLine($"Serving on http://{started.Result}/ ({group.Count} hubs)"), TaskContinuationOptions.OnlyOnRanToCompletion);
    group.Run(new IPEndPoint(IPAddress.Loopback, port), endpoint => new HttpServer(endpoint, HandleAsync, options));
    Console.WriteLine("stopped");
    return 0;
}

Gevent.Run(async () =>
{
    var server = new HttpServer(new IPEndPoint(IPAddress.Loopback, port), HandleAsync, options);
    server.Start();
    Console.WriteLine($"Serving on http://{server.Address}/");
    using IDisposable signals = Gevent.OnShutdownSignal(async () =>
    {
        Task stopping = server.StopAsync(); // the listener is closed when it returns
        Console.WriteLine($"stopping: {server.ConnectionCount} connection(s), {stopTimeout} s to finish");
        await stopping;
    });
    await server.ServeForeverAsync();
    Console.WriteLine($"stopped after {server.RequestCount} request(s); {server.HandlersKilledAtStop} killed at the deadline");
}, new HubOptions { LoggerFactory = loggers });
return 0;

static async Task HandleAsync(HttpRequest request, HttpResponse response)
{
    response.ContentType = "text/plain; charset=utf-8";
    switch (request.Path)
    {
        case "/":
            await response.WriteAsync("<b>hello world</b>\n");
            break;
        case "/slow":
            double seconds = double.TryParse(request.Query["seconds"], NumberStyles.Float, CultureInfo.InvariantCulture, out double s) ? s : 3;
            await response.WriteAsync("started\n");
            await response.FlushAsync(); // the head and the first line leave now
            await Gevent.Sleep(TimeSpan.FromSeconds(seconds));
            await response.WriteAsync("done\n");
            break;
        default:
            response.StatusCode = 404;
            await response.WriteAsync("Not Found\n");
            break;
    }
}
