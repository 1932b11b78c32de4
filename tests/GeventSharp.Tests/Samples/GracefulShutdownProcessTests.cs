using System.Net;
using System.Net.Sockets;
using System.Text;
using Xunit;

namespace GeventSharp.Tests.Samples;

/// <summary>
/// Graceful stop with real signals against the built samples run as processes: SIGTERM mid-request
/// lets the request finish with its whole response, refuses new connections, closes idle
/// keep-alive connections, and the process exits 0; a handler past the drain time is killed and reported.
/// </summary>
public class GracefulShutdownProcessTests
{
    [Fact]
    public async Task EchoServer_Sigterm_LetsAnOpenConnectionFinish_RefusesNewOnes_ExitsZero()
    {
        (SampleProcess echo, int port, TcpClient client) = await StartEchoWithOneConnectionAsync("30"); // its handler runs
        using (echo)
        using (client)
        {
            NetworkStream stream = client.GetStream();

            await echo.SignalAsync("TERM");
            await echo.WaitForLineAsync(l => l.StartsWith("stopping:", StringComparison.Ordinal)).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(await SampleProcess.IsRefusedAsync(port), "a new connection was accepted after SIGTERM");

            // The connection in progress is still served while the server drains.
            await stream.WriteAsync("after the signal\n"u8.ToArray());
            Assert.Equal("after the signal\n", await SampleProcess.ReadUntilAsync(stream, "after the signal\n"));
            client.Client.Shutdown(SocketShutdown.Send); // the client is done: the handler returns

            Assert.Equal(0, await echo.ExitCodeAsync());
            Assert.Contains("stopped", echo.StandardOutput);
            Assert.DoesNotContain("killed", echo.StandardError);
        }
    }

    [Fact]
    public async Task EchoServer_Sigterm_KillsAHandlerPastTheDrainTime_AndReportsIt()
    {
        (SampleProcess echo, _, TcpClient client) = await StartEchoWithOneConnectionAsync("0.5");
        using (echo)
        using (client)
        {
            NetworkStream stream = client.GetStream();

            await echo.SignalAsync("TERM");

            // The client never closes: at the deadline its handler is killed and the socket closed.
            Assert.Equal("", await SampleProcess.ReadToEndAsync(stream));
            Assert.Equal(0, await echo.ExitCodeAsync());
            Assert.Contains("1 handler(s) still running 0.5 s after the stop began were killed", echo.StandardError);
        }
    }

    [Fact]
    public async Task HttpServer_Sigterm_FinishesTheRequestInFlight_ClosesIdleConnections_RefusesNewOnes()
    {
        (SampleProcess http, int port) = await StartHelloHttpAsync(stopTimeoutSeconds: "30");
        using (http)
        {
            using TcpClient idle = await ConnectAsync(port);
            NetworkStream idleStream = idle.GetStream();
            await idleStream.WriteAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
            await SampleProcess.ReadUntilAsync(idleStream, "hello world"); // served; now idle between requests

            (TcpClient slow, StringBuilder response) = await StartSlowRequestAsync(port, seconds: 1); // SIGTERM comes mid-request
            using TcpClient slowClient = slow;
            NetworkStream slowStream = slow.GetStream();

            await http.SignalAsync("TERM");
            Assert.Equal("", await SampleProcess.ReadToEndAsync(idleStream)); // the idle keep-alive connection is closed
            Assert.True(await SampleProcess.IsRefusedAsync(port), "a new connection was accepted after SIGTERM");

            string whole = await SampleProcess.ReadToEndAsync(slowStream, response);
            Assert.StartsWith("HTTP/1.1 200 OK", whole);
            Assert.Contains("done\n", whole);
            Assert.EndsWith("0\r\n\r\n", whole); // the chunked body's last chunk: the response is whole

            Assert.Equal(0, await http.ExitCodeAsync());
            Assert.Contains("stopped after 2 request(s); 0 killed", http.StandardOutput);
        }
    }

    [Fact]
    public async Task HttpServer_Sigterm_KillsARequestPastTheDrainTime_AndReportsIt()
    {
        (SampleProcess http, int port) = await StartHelloHttpAsync(stopTimeoutSeconds: "0.5");
        using (http)
        {
            (TcpClient slow, StringBuilder response) = await StartSlowRequestAsync(port, seconds: 600);
            using TcpClient slowClient = slow;
            NetworkStream slowStream = slow.GetStream();

            await http.SignalAsync("TERM");
            string cut = await SampleProcess.ReadToEndAsync(slowStream, response);
            Assert.DoesNotContain("done", cut);
            Assert.Equal(0, await http.ExitCodeAsync());
            Assert.Contains("1 handler(s) still running 0.5 s after the stop began were killed", http.StandardError);
            Assert.Contains("1 killed at the deadline", http.StandardOutput);
        }
    }

    [Fact]
    public async Task Hosted_Sigterm_FinishesTheLongPollInFlight_AndExitsZero()
    {
        int port = SampleProcess.FreePort();
        (SampleProcess hosted, _) = await SampleProcess.StartAsync("Hosted.dll", [$"--Http:Port={port}", "--Board:PollTimeout=00:00:01"], "board on");
        using (hosted)
        {
            using TcpClient idle = await ConnectAsync(port);
            NetworkStream idleStream = idle.GetStream();
            await idleStream.WriteAsync("POST /say?text=hello HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"u8.ToArray());
            await SampleProcess.ReadUntilAsync(idleStream, "1\n"); // served through DI: the board's first message

            using TcpClient poll = await ConnectAsync(port);
            NetworkStream pollStream = poll.GetStream();
            await pollStream.WriteAsync("GET /poll?after=1 HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
            var response = new StringBuilder();
            await SampleProcess.ReadUntilAsync(pollStream, "\r\n\r\n", response); // the poll's head: it waits on the hub now

            await hosted.SignalAsync("TERM");
            Assert.Equal("", await SampleProcess.ReadToEndAsync(idleStream));
            Assert.True(await SampleProcess.IsRefusedAsync(port), "a new connection was accepted after SIGTERM");

            string whole = await SampleProcess.ReadToEndAsync(pollStream, response);
            Assert.StartsWith("HTTP/1.1 200 OK", whole);
            Assert.Contains("{\"last\":1,\"messages\":[]}", whole);
            Assert.EndsWith("0\r\n\r\n", whole);
            Assert.Equal(0, await hosted.ExitCodeAsync());
        }
    }

    /// <summary>Sends HelloHttp's <c>/slow</c> and returns once its handler has sent "started" (what was read so far in the builder).</summary>
    private static async Task<(TcpClient Client, StringBuilder Response)> StartSlowRequestAsync(int port, int seconds)
    {
        TcpClient slow = await ConnectAsync(port);
        await slow.GetStream().WriteAsync(Encoding.ASCII.GetBytes($"GET /slow?seconds={seconds} HTTP/1.1\r\nHost: x\r\n\r\n"));
        var response = new StringBuilder();
        await SampleProcess.ReadUntilAsync(slow.GetStream(), "started", response);
        return (slow, response);
    }

    /// <summary>
    /// Starts HelloHttp on a port the kernel picks when it listens (a port probed beforehand could be
    /// taken by another socket in the meantime), read back from its "Serving on" line.
    /// </summary>
    private static async Task<(SampleProcess Http, int Port)> StartHelloHttpAsync(string stopTimeoutSeconds)
    {
        (SampleProcess http, string ready) = await SampleProcess.StartAsync("HelloHttp.dll", ["--port", "0", "--stop-timeout", stopTimeoutSeconds], "Serving on");
        return (http, new Uri(ready["Serving on ".Length..]).Port);
    }

    /// <summary>Starts the echo sample with a stop timeout and one connection whose handler has echoed once.</summary>
    private static async Task<(SampleProcess Echo, int Port, TcpClient Client)> StartEchoWithOneConnectionAsync(string stopTimeoutSeconds)
    {
        (SampleProcess echo, string ready) = await SampleProcess.StartAsync("EchoServer.dll", ["0", stopTimeoutSeconds], "Starting echo server on");
        int port = IPEndPoint.Parse(ready["Starting echo server on ".Length..]).Port;
        TcpClient client = await ConnectAsync(port);
        await client.GetStream().WriteAsync("ping\n"u8.ToArray());
        Assert.Equal("ping\n", await SampleProcess.ReadUntilAsync(client.GetStream(), "ping\n"));
        return (echo, port, client);
    }

    private static async Task<TcpClient> ConnectAsync(int port)
    {
        var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        return client;
    }
}
