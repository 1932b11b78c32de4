using System.Net;

namespace GeventSharp.Hosting;

/// <summary>
/// Where a hosted server listens, bound from the same configuration section as its server
/// options (<c>"Http": { "Host": "0.0.0.0", "Port": 8080, "KeepAliveTimeout": "00:00:30" }</c>).
/// </summary>
/// <example>
/// <code>
/// // appsettings.json: { "Http": { "Host": "127.0.0.1", "Port": 8080, "Server": { "StopTimeout": "00:00:10" } } }
/// // environment:      Http__Port=9090
/// builder.Services.AddGeventHttpServer("Http", (services, request, response) =&gt; response.WriteAsync("hello\n").AsTask());
/// </code>
/// </example>
public sealed class GeventServerOptions
{
    /// <summary>The address to listen on: an IP address, <c>localhost</c>, or <c>*</c> for every IPv4 address; <c>127.0.0.1</c> by default.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>The port; 8000 by default; 0 picks a free one.</summary>
    public int Port { get; set; } = 8000;

    /// <summary>The endpoint <see cref="Host"/> and <see cref="Port"/> name.</summary>
    /// <exception cref="FormatException"><see cref="Host"/> is not an IP address, <c>localhost</c> or <c>*</c>.</exception>
    public IPEndPoint ToEndPoint()
    {
        IPAddress address = Host switch
        {
            "*" or "" => IPAddress.Any,
            "localhost" => IPAddress.Loopback,
            _ => IPAddress.TryParse(Host, out IPAddress? parsed)
                ? parsed
                : throw new FormatException($"The host '{Host}' is not an IP address, 'localhost' or '*'."),
        };
        return new IPEndPoint(address, Port);
    }
}
