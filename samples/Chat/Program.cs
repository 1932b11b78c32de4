// The seed's chat room (S12): gevent's minichat on GeventSharp's HttpServer, with its defects fixed.
//
//   dotnet run --project samples/Chat -c Release -- [--port 5000] [--host 127.0.0.1] [--db chat.db | --memory] [--redis HOST:PORT]
//
// Then open http://127.0.0.1:5000/ in a browser. History is kept in the SQLite file given by --db
// (default chat.db in the current folder), so a restarted server shows the same backlog; --memory
// keeps it in memory only, as minichat did. --redis shares rooms and history with every other
// process started with the same Redis (run several on different ports behind a sticky balancer).
using System.Net;
using GeventSharp;
using GeventSharp.Http;
using GeventSharp.Samples.Chat;

int port = 5000;
string host = "127.0.0.1";
string? db = "chat.db";
string? redis = null;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--port": port = int.Parse(args[++i]); break;
        case "--host": host = args[++i]; break;
        case "--db": db = args[++i]; break;
        case "--memory": db = null; break;
        case "--redis": redis = args[++i]; break;
        default:
            Console.Error.WriteLine($"unknown argument {args[i]}; usage: Chat [--port 5000] [--host 127.0.0.1] [--db chat.db | --memory]");
            return 2;
    }
}

using var sqlite = db is null || redis is not null ? null : new SqliteChatHistory(db);
Gevent.Run(async () =>
{
    RedisChatBus? bus = redis is null ? null : await RedisChatBus.ConnectAsync(redis);
    var app = new ChatApp(bus?.History ?? sqlite ?? (IChatHistory)new MemoryChatHistory(), bus: bus);
    await app.ConnectBusAsync();
    var server = new HttpServer(new IPEndPoint(IPAddress.Parse(host), port), app.HandleAsync);
    server.Start();
    app.StartJanitor();
    Console.WriteLine($"chat on http://{server.Address}/ (history: {(redis is not null ? "Redis " + redis : db ?? "in memory")})");
    await server.ServeForeverAsync();
});
return 0;
