// An HTTP app with a long poll under the .NET generic host, configured from appsettings.json:
//
//   dotnet run --project samples/Hosted -c Release [-- --Http:Port=9000]
//
// Then: curl 'http://127.0.0.1:8089/poll?after=0' in one terminal, and
// curl -X POST 'http://127.0.0.1:8089/say?text=hi' in another. The server's settings are in the
// "Http" section (environment variables such as Http__Port=9000 and command-line arguments
// override them); SIGTERM or Ctrl+C stop the host: polls in progress finish (StopTimeout, 10 s),
// new connections are refused, and the process exits 0. The hub logs through the host's logging
// (docs/logging.md): the "Logging" section of appsettings.json turns the GeventSharp categories,
// the HTTP access log among them, on at Information.
using GeventSharp.Hosting;
using GeventSharp.Samples.Hosted;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

HostApplicationBuilder builder = Host.CreateApplicationBuilder(args);
builder.Services.Configure<BoardOptions>(builder.Configuration.GetSection("Board"));
builder.Services.AddSingleton<Board>();
builder.Services.AddGeventHttpServer<BoardHandler>("Http");

using IHost host = builder.Build();
await host.StartAsync();
GeventServerOptions http = host.Services.GetRequiredService<IOptionsMonitor<GeventServerOptions>>().Get("Http");
Console.WriteLine($"board on http://{http.Host}:{http.Port}/");
await host.WaitForShutdownAsync();
return 0;
