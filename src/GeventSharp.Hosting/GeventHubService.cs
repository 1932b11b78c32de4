using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GeventSharp.Hosting;

/// <summary>
/// One hub on its own thread as a hosted service: starts the servers and greenlets registered for
/// it, and on host shutdown stops the servers with their drain time, then kills the greenlets.
/// </summary>
/// <remarks>
/// <para>The hub logs through the host's <see cref="ILoggerFactory"/> (unless its
/// <see cref="HubOptions.LoggerFactory"/> names another), and so do the servers on it: failures,
/// monitor reports, rejected requests and the access log reach the host's logging providers.</para>
/// <para>The host's shutdown token (cancelled when <c>HostOptions.ShutdownTimeout</c> runs out) brings
/// every server's deadline forward: handlers still running then are killed, so the hub ends
/// within the host's own limit even when a server's <c>StopTimeout</c> is longer.</para>
/// </remarks>
internal sealed class GeventHubService(HubRegistration registration, IServiceProvider services) : IHostedService
{
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<IHostedServer> _servers = new();
    private Hub? _hub;
    private Event? _stop;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var thread = new Thread(Run) { Name = $"GeventSharp hub '{registration.Name}'", IsBackground = true };
        thread.Start();
        return _started.Task.WaitAsync(cancellationToken);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_hub is not { } hub || !_started.Task.IsCompletedSuccessfully)
        {
            return;
        }

        PostOrIgnore(hub, () => _stop!.Set());
        using CancellationTokenRegistration deadline = cancellationToken.Register(() => PostOrIgnore(hub, () =>
        {
            foreach (IHostedServer server in _servers)
            {
                Gevent.Spawn(() => server.StopAsync(TimeSpan.Zero)); // the host's time is up: kill what still runs
            }
        }));
        await _finished.Task.ConfigureAwait(false);
    }

    private static void PostOrIgnore(Hub hub, Action action)
    {
        try
        {
            hub.Post(action);
        }
        catch (InvalidOperationException)
        {
            // The hub has already finished.
        }
    }

    private void Run()
    {
        try
        {
            Gevent.Run(MainAsync, registration.Options(services));
            _finished.TrySetResult();
        }
        catch (Exception e)
        {
            _started.TrySetException(e);
            _finished.TrySetException(e);
        }
    }

    private async Task MainAsync()
    {
        Hub hub = Hub.Current!;
        hub.LoggerFactory ??= services.GetService<ILoggerFactory>(); // HubOptions.LoggerFactory, if set, wins
        using IDisposable keepAlive = hub.KeepAlive(); // the host's thread posts the stop
        _stop = new Event();
        foreach (ServerRegistration server in services.GetServices<ServerRegistration>().Where(s => s.Hub == registration.Name))
        {
            IHostedServer created = server.Create(services);
            created.Start();
            _servers.Add(created);
        }

        List<Greenlet> serving = _servers.Select(s => Gevent.Spawn(s.ServeForeverAsync)).ToList();
        List<Greenlet> background = new();
        foreach (GreenletRegistration g in services.GetServices<GreenletRegistration>().Where(g => g.Hub == registration.Name))
        {
            Greenlet greenlet = Gevent.Spawn(() => g.Run(services));
            greenlet.Name = g.Name;
            background.Add(greenlet);
        }

        _hub = Hub.Current;
        _started.TrySetResult();
        await _stop.WaitAsync();

        // Every server drains at once (each with its own StopTimeout); then the greenlets go.
        await Task.WhenAll(_servers.Select(s => s.StopAsync(null)));
        await Gevent.JoinAllAsync(serving);
        await Gevent.KillAllAsync(background);
    }
}
