using System.Net;
using BenchmarkDotNet.Attributes;
using GeventSharp.Http;
using GeventSharp.Net;
using Microsoft.Extensions.Logging;

namespace GeventSharp.Benchmarks;

/// <summary>
/// Round trips over loopback on one hub, one operation = one round trip: 64 bytes echoed through
/// green sockets, and one HTTP/1.1 keep-alive request answered by <see cref="HttpServer"/> (a
/// 13-byte plaintext body). Both ends run on the same hub, so the figures include the client's
/// work and the kernel's; the allocation column is what matters: steady-state bytes per round trip.
/// </summary>
public class NetBenchmarks
{
    private const int RoundTrips = 20_000;
    private static readonly byte[] Hello = "Hello, World!"u8.ToArray();
    private static readonly byte[] Request = "GET /plaintext HTTP/1.1\r\nHost: localhost\r\nAccept: */*\r\n\r\n"u8.ToArray();

    [Benchmark(OperationsPerInvoke = RoundTrips)]
    public void SocketEchoRoundTrip() => Gevent.Run(static async () =>
    {
        using GreenSocket listener = GreenSocket.Listen(new IPEndPoint(IPAddress.Loopback, 0));
        using GreenSocket client = GreenSocket.CreateTcp();
        await client.ConnectAsync(listener.LocalEndPoint!);
        using GreenSocket server = await listener.AcceptAsync();
        Greenlet echo = Gevent.Spawn(async Task () =>
        {
            byte[] b = new byte[64];
            int n;
            while ((n = await server.ReceiveAsync(b)) > 0)
            {
                await server.SendAllAsync(b.AsMemory(0, n));
            }
        });
        byte[] a = new byte[64];
        for (int i = 0; i < RoundTrips; i++)
        {
            await client.SendAllAsync(a);
            for (int got = 0; got < a.Length;)
            {
                got += await client.ReceiveAsync(a.AsMemory(got));
            }
        }

        client.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        await echo.JoinAsync();
    });

    [Benchmark(OperationsPerInvoke = RoundTrips)]
    public void HttpKeepAliveRoundTrip() => HttpRoundTrips(null);

    /// <summary>With a logger factory whose filter leaves out the access log (Warning and up): the cost of asking.</summary>
    [Benchmark(OperationsPerInvoke = RoundTrips)]
    public void HttpKeepAliveRoundTripLoggerFiltered() => HttpRoundTrips(s_warningsOnly);

    /// <summary>With the access log on, to a provider that drops each entry: the cost of building it.</summary>
    [Benchmark(OperationsPerInvoke = RoundTrips)]
    public void HttpKeepAliveRoundTripAccessLog() => HttpRoundTrips(s_dropping);

    private static readonly ILoggerFactory s_warningsOnly = LoggerFactory.Create(b => b.AddProvider(new DroppingProvider()).SetMinimumLevel(LogLevel.Warning));
    private static readonly ILoggerFactory s_dropping = LoggerFactory.Create(b => b.AddProvider(new DroppingProvider()).SetMinimumLevel(LogLevel.Information));

    private static void HttpRoundTrips(ILoggerFactory? loggers) => Gevent.Run(static async () =>
    {
        var server = new HttpServer(new IPEndPoint(IPAddress.Loopback, 0), static (request, response) =>
        {
            response.ContentType = "text/plain";
            return response.WriteAsync(Hello).AsTask();
        });
        server.Start();
        using GreenSocket client = GreenSocket.CreateTcp();
        await client.ConnectAsync(server.Address);
        byte[] buffer = new byte[4096];
        for (int i = 0; i < RoundTrips; i++)
        {
            await client.SendAllAsync(Request);
            int got = 0;
            while (got < 4 || buffer.AsSpan(0, got).IndexOf("Hello, World!"u8) < 0)
            {
                got += await client.ReceiveAsync(buffer.AsMemory(got));
            }
        }

        await server.StopAsync(TimeSpan.Zero);
    }, new HubOptions { LoggerFactory = loggers });

    /// <summary>Wants every entry and keeps none: what a provider that writes elsewhere costs GeventSharp itself.</summary>
    private sealed class DroppingProvider : ILoggerProvider, ILogger
    {
        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
        }

        public void Dispose()
        {
        }
    }
}
