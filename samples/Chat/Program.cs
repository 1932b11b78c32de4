// The seed's chat room (S12): gevent's minichat on GeventSharp's HttpServer, with its defects fixed.
//
//   dotnet run --project samples/Chat -c Release -- [--port 5000] [--host 127.0.0.1] [--db chat.db | --memory]
//
// Then open http://127.0.0.1:5000/ in a browser. History is kept in the SQLite file given by --db
// (default chat.db in the current folder), so a restarted server shows the same backlog; --memory
// keeps it in memory only, as minichat did.
using System.Net;
using GeventSharp;
using GeventSharp.Http;
using GeventSharp.Samples.Chat;

int port = 5000;
string host = "127.0.0.1";
string? db = "chat.db";
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--port": port = int.Parse(args[++i]); break;
        case "--host": host = args[++i]; break;
        case "--db": db = args[++i]; break;
        case "--memory": db = null; break;
        default:
            Console.Error.WriteLine($"unknown argument {args[i]}; usage: Chat [--port 5000] [--host 127.0.0.1] [--db chat.db | --memory]");
            return 2;
    }
}

using var sqlite = db is null ? null : new SqliteChatHistory(db);
var app = new ChatApp(sqlite ?? (IChatHistory)new MemoryChatHistory());
Gevent.Run(async () =>
{
    var server = new HttpServer(new IPEndPoint(IPAddress.Parse(host), port), app.HandleAsync);
    server.Start();
    app.StartJanitor();
    Console.WriteLine($"chat on http://{server.Address}/ (history: {db ?? "in memory"})");
    await server.ServeForeverAsync();
});
return 0;
