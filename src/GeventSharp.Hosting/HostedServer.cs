using System.Net;
using GeventSharp.Http;
using GeventSharp.Net;

namespace GeventSharp.Hosting;

/// <summary>What a hub service needs of a server: start, serve until stopped, stop with a drain time.</summary>
internal interface IHostedServer
{
    IPEndPoint Address { get; }

    void Start();

    Task ServeForeverAsync();

    Task StopAsync(TimeSpan? timeout);
}

/// <summary>An <see cref="HttpServer"/> as a hosted server.</summary>
internal sealed class HostedHttpServer(HttpServer server) : IHostedServer
{
    public IPEndPoint Address => server.Address;

    public void Start() => server.Start();

    public Task ServeForeverAsync() => server.ServeForeverAsync();

    public Task StopAsync(TimeSpan? timeout) => server.StopAsync(timeout);
}

/// <summary>A <see cref="StreamServer"/> as a hosted server.</summary>
internal sealed class HostedStreamServer(StreamServer server) : IHostedServer
{
    public IPEndPoint Address => server.Address;

    public void Start() => server.Start();

    public Task ServeForeverAsync() => server.ServeForeverAsync();

    public Task StopAsync(TimeSpan? timeout) => server.StopAsync(timeout);
}

/// <summary>A server to run on hub <paramref name="Hub"/>, created on that hub's thread.</summary>
internal sealed record ServerRegistration(string Name, string Hub, Func<IServiceProvider, IHostedServer> Create);

/// <summary>A greenlet to run on hub <paramref name="Hub"/> while the host runs.</summary>
internal sealed record GreenletRegistration(string Name, string Hub, Func<IServiceProvider, Task> Run);

/// <summary>A hub: its name and the options its <see cref="Gevent.Run(Func{Task}, HubOptions?)"/> gets, read when it starts.</summary>
internal sealed record HubRegistration(string Name, Func<IServiceProvider, HubOptions?> Options);
