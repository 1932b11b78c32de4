using System.Net;
using GeventSharp.Http;
using GeventSharp.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace GeventSharp.Hosting;

/// <summary>
/// Registers GeventSharp hubs, servers and greenlets with the generic host
/// (<c>Microsoft.Extensions.Hosting</c>).
/// </summary>
/// <remarks>
/// <para>Each hub runs on a thread of its own as a hosted service. Servers and greenlets name the
/// hub they run on (<see cref="DefaultHub"/> unless told otherwise); the default hub is registered
/// by the first server or greenlet that needs it.</para>
/// <para>A server's options are bound from the configuration section named by
/// <c>configSectionPath</c> (appsettings.json, environment variables, the command line): the
/// endpoint (<see cref="GeventServerOptions"/>) and the server's own options
/// (<see cref="HttpServerOptions"/> or <see cref="StreamServerOptions"/>) from the same section,
/// then <c>configure</c> runs. <c>services.Configure&lt;HttpServerOptions&gt;(configSectionPath, ...)</c>
/// works too (named options).</para>
/// <para>Services: each HTTP request, and each stream connection, gets a DI scope of its own,
/// disposed when it ends; scoped services resolved from it live as long as the request.
/// Greenlets a handler spawns that outlive the request should take singletons, not scoped services.</para>
/// <para>Logging: each hub gets the host's <c>ILoggerFactory</c> as its <see cref="Hub.LoggerFactory"/>
/// (unless its <see cref="HubOptions"/> name one), so greenlet failures, monitor reports, rejected
/// requests and the HTTP access log go to the host's providers, filtered by its <c>Logging</c>
/// configuration (docs/logging.md).</para>
/// <para>On host shutdown every server stops as <see cref="StreamServer.StopAsync(TimeSpan?)"/>
/// does: new connections are refused, idle keep-alive connections close, requests in progress
/// get <see cref="StreamServerOptions.StopTimeout"/> to finish (cut short if the host's
/// <c>HostOptions.ShutdownTimeout</c> runs out first), the rest are killed.</para>
/// </remarks>
/// <example>
/// <code>
/// HostApplicationBuilder builder = Host.CreateApplicationBuilder(args);
/// builder.Services.AddSingleton&lt;Greeter&gt;();
/// builder.Services.AddGeventHttpServer("Http", async (services, request, response) =&gt;
///     await response.WriteAsync(services.GetRequiredService&lt;Greeter&gt;().Greet(request.Path)));
/// await builder.Build().RunAsync(); // SIGTERM or Ctrl+C: drains, then exits 0
/// </code>
/// </example>
public static class GeventServiceCollectionExtensions
{
    /// <summary>The hub servers and greenlets run on unless told otherwise.</summary>
    public const string DefaultHub = "default";

    /// <summary>
    /// Registers a hub named <paramref name="name"/>: a thread of its own running
    /// <see cref="Gevent.Run(Func{Task}, HubOptions?)"/> with <paramref name="options"/> while the host runs.
    /// </summary>
    /// <exception cref="InvalidOperationException">A hub of that name is already registered.</exception>
    /// <example><code>services.AddGeventHub("io", new HubOptions { MonitorThreshold = TimeSpan.FromMilliseconds(100) });</code></example>
    public static IServiceCollection AddGeventHub(this IServiceCollection services, string name = DefaultHub, HubOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (FindHub(services, name) is not null)
        {
            throw new InvalidOperationException($"The GeventSharp hub '{name}' is already registered.");
        }

        AddHub(services, new HubRegistration(name, _ => options));
        return services;
    }

    /// <summary>
    /// Registers a hub named <paramref name="name"/> whose <see cref="HubOptions"/> are bound from
    /// the configuration section <paramref name="configSectionPath"/> (appsettings.json, environment
    /// variables, the command line), then <paramref name="configure"/> runs (for what configuration
    /// cannot say: an error handler, a clock, a stack capture).
    /// </summary>
    /// <remarks>
    /// The options are named options of <paramref name="name"/>: <c>services.Configure&lt;HubOptions&gt;(name, ...)</c>
    /// works too. They are read when the hub starts; a section that does not bind (a threshold that
    /// is not a time span) fails the host's start with the binder's error.
    /// </remarks>
    /// <exception cref="InvalidOperationException">A hub of that name is already registered.</exception>
    /// <example>
    /// <code>
    /// // appsettings.json: { "Gevent": { "MonitorThreshold": "00:00:00.250", "ThreadPoolSize": 4 } }
    /// services.AddGeventHub(GeventServiceCollectionExtensions.DefaultHub, "Gevent");
    /// </code>
    /// </example>
    public static IServiceCollection AddGeventHub(this IServiceCollection services, string name, string configSectionPath, Action<HubOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(configSectionPath);
        if (FindHub(services, name) is not null)
        {
            throw new InvalidOperationException($"The GeventSharp hub '{name}' is already registered.");
        }

        OptionsBuilder<HubOptions> options = services.AddOptions<HubOptions>(name).BindConfiguration(configSectionPath);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        AddHub(services, new HubRegistration(name, provider => provider.GetRequiredService<IOptionsMonitor<HubOptions>>().Get(name)));
        return services;
    }

    /// <summary>
    /// Registers an <see cref="HttpServer"/> configured from the section <paramref name="configSectionPath"/>;
    /// <paramref name="handler"/> gets each request's scoped services.
    /// </summary>
    /// <example>
    /// <code>
    /// services.AddGeventHttpServer("Http", async (services, request, response) =&gt;
    ///     await response.WriteAsync($"{services.GetRequiredService&lt;TimeProvider&gt;().GetUtcNow():O}\n"));
    /// </code>
    /// </example>
    public static IServiceCollection AddGeventHttpServer(
        this IServiceCollection services,
        string configSectionPath,
        Func<IServiceProvider, HttpRequest, HttpResponse, Task> handler,
        Action<HttpServerOptions>? configure = null,
        string hub = DefaultHub)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return AddServer<HttpServerOptions>(services, configSectionPath, configure, hub, (endpoint, scopes, options) => new HostedHttpServer(new HttpServer(
            endpoint,
            async (request, response) =>
            {
                await using AsyncServiceScope scope = scopes.CreateAsyncScope();
                await handler(scope.ServiceProvider, request, response);
            },
            options)));
    }

    /// <summary>
    /// Registers an <see cref="HttpServer"/> whose requests are answered by a
    /// <typeparamref name="THandler"/> resolved from each request's scope (registered scoped if it
    /// is not registered yet).
    /// </summary>
    /// <example><code>services.AddGeventHttpServer&lt;HelloHandler&gt;("Http");</code></example>
    public static IServiceCollection AddGeventHttpServer<THandler>(
        this IServiceCollection services,
        string configSectionPath,
        Action<HttpServerOptions>? configure = null,
        string hub = DefaultHub)
        where THandler : class, IGeventHttpHandler
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddScoped<THandler>();
        return services.AddGeventHttpServer(
            configSectionPath,
            (requestServices, request, response) => requestServices.GetRequiredService<THandler>().HandleAsync(request, response),
            configure,
            hub);
    }

    /// <summary>
    /// Registers a <see cref="StreamServer"/> configured from the section <paramref name="configSectionPath"/>;
    /// <paramref name="handler"/> gets each connection's scoped services.
    /// </summary>
    /// <example>
    /// <code>
    /// services.AddGeventStreamServer("Echo", async (services, socket, peer) =&gt;
    /// {
    ///     byte[] buffer = new byte[4096];
    ///     int n;
    ///     while ((n = await socket.ReceiveAsync(buffer)) &gt; 0)
    ///     {
    ///         await socket.SendAllAsync(buffer.AsMemory(0, n));
    ///     }
    /// });
    /// </code>
    /// </example>
    public static IServiceCollection AddGeventStreamServer(
        this IServiceCollection services,
        string configSectionPath,
        Func<IServiceProvider, GreenSocket, EndPoint, Task> handler,
        Action<StreamServerOptions>? configure = null,
        string hub = DefaultHub)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return AddServer<StreamServerOptions>(services, configSectionPath, configure, hub, (endpoint, scopes, options) => new HostedStreamServer(new StreamServer(
            endpoint,
            async (socket, peer) =>
            {
                await using AsyncServiceScope scope = scopes.CreateAsyncScope();
                await handler(scope.ServiceProvider, socket, peer);
            },
            options)));
    }

    /// <summary>
    /// Runs <paramref name="run"/> in a greenlet named <paramref name="name"/> on the hub while the
    /// host runs; it is killed (a <see cref="GreenletExit"/> at its await) once the hub's servers have drained.
    /// </summary>
    /// <example>
    /// <code>
    /// services.AddGeventGreenlet("ticker", async services =&gt;
    /// {
    ///     var board = services.GetRequiredService&lt;Board&gt;();
    ///     while (true)
    ///     {
    ///         await Gevent.Sleep(TimeSpan.FromSeconds(1));
    ///         board.Tick();
    ///     }
    /// });
    /// </code>
    /// </example>
    public static IServiceCollection AddGeventGreenlet(this IServiceCollection services, string name, Func<IServiceProvider, Task> run, string hub = DefaultHub)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(run);
        EnsureHub(services, hub);
        services.AddSingleton(new GreenletRegistration(name, hub, run));
        return services;
    }

    /// <summary>
    /// Binds the server's endpoint and options from <paramref name="configSectionPath"/> (then
    /// <paramref name="configure"/>), and registers the server for <paramref name="hub"/>, created there at start.
    /// </summary>
    private static IServiceCollection AddServer<TOptions>(
        IServiceCollection services,
        string configSectionPath,
        Action<TOptions>? configure,
        string hub,
        Func<IPEndPoint, IServiceScopeFactory, TOptions, IHostedServer> create)
        where TOptions : class
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(configSectionPath);
        EnsureHub(services, hub);
        services.AddOptions<GeventServerOptions>(configSectionPath).BindConfiguration(configSectionPath);
        OptionsBuilder<TOptions> options = services.AddOptions<TOptions>(configSectionPath).BindConfiguration(configSectionPath);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.AddSingleton(new ServerRegistration(configSectionPath, hub, provider => create(
            provider.GetRequiredService<IOptionsMonitor<GeventServerOptions>>().Get(configSectionPath).ToEndPoint(),
            provider.GetRequiredService<IServiceScopeFactory>(),
            provider.GetRequiredService<IOptionsMonitor<TOptions>>().Get(configSectionPath))));
        return services;
    }

    private static void EnsureHub(IServiceCollection services, string hub)
    {
        ArgumentException.ThrowIfNullOrEmpty(hub);
        if (FindHub(services, hub) is null)
        {
            if (hub != DefaultHub)
            {
                throw new InvalidOperationException($"No GeventSharp hub '{hub}' is registered: call services.AddGeventHub(\"{hub}\") first.");
            }

            AddHub(services, new HubRegistration(hub, _ => null));
        }
    }

    private static void AddHub(IServiceCollection services, HubRegistration hub)
    {
        services.AddSingleton(hub);
        services.AddSingleton<IHostedService>(provider => new GeventHubService(hub, provider));
    }

    private static HubRegistration? FindHub(IServiceCollection services, string name)
        => services.Select(d => d.ImplementationInstance).OfType<HubRegistration>().FirstOrDefault(h => h.Name == name);
}
