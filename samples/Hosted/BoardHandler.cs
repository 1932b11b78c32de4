using System.Globalization;
using System.Text.Json;
using GeventSharp.Hosting;
using GeventSharp.Http;
using Microsoft.Extensions.Options;

namespace GeventSharp.Samples.Hosted;

/// <summary>
/// The HTTP side, resolved from the request's DI scope: <c>GET /poll?after=N</c> (the long poll),
/// <c>POST /say?text=...</c>, <c>GET /</c>.
/// </summary>
public sealed class BoardHandler(Board board, IOptions<BoardOptions> options) : IGeventHttpHandler
{
    /// <inheritdoc/>
    public async Task HandleAsync(HttpRequest request, HttpResponse response)
    {
        switch (request.Method, request.Path)
        {
            case ("GET", "/poll"):
                int after = int.TryParse(request.Query["after"], NumberStyles.Integer, CultureInfo.InvariantCulture, out int a) ? a : 0;
                response.ContentType = "application/json";
                await response.FlushAsync(); // the head leaves at once: the client knows the poll is waiting
                IReadOnlyList<string> messages = await board.AfterAsync(after, options.Value.PollTimeout);
                await response.WriteAsync(JsonSerializer.Serialize(new { last = after + messages.Count, messages }));
                break;
            case ("POST", "/say"):
                int id = board.Say(request.Query["text"] ?? "");
                await response.WriteAsync($"{id}\n");
                break;
            case ("GET", "/"):
                await response.WriteAsync($"a board of {board.Count} message(s); GET /poll?after=N, POST /say?text=...\n");
                break;
            default:
                response.StatusCode = 404;
                await response.WriteAsync("Not Found\n");
                break;
        }
    }
}
