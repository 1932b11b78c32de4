using System.Net.Sockets;
using System.Text;
using GeventSharp.Http;
using GeventSharp.Net;
using GeventSharp.Testing;
using GeventSharp.Tests.Net;
using Xunit;

namespace GeventSharp.Tests.Http;

/// <summary>
/// Seeded randomized robustness test of <see cref="HttpServer"/>: many malformed or adversarial
/// inputs (mutated valid requests, smuggling classics, bad framing, garbage), each on a fresh
/// connection of one server, on the virtual clock so stalls end by the server's own timeouts.
/// </summary>
/// <remarks>
/// Replay or explore more seeds with <c>GEVENTSHARP_HTTP_FUZZ=seed[-lastSeed][:cases]</c>, e.g.
/// <c>GEVENTSHARP_HTTP_FUZZ=1-20:400 dotnet test --filter HttpServerFuzzTests.FromEnvironment</c>;
/// a failure prints the seed, the case number and the input, escaped.
/// </remarks>
public class HttpServerFuzzTests
{
    private const int HeadLimit = 1024;
    private const int HeaderLimit = 20;
    private const int BodyLimit = 4096;
    private static readonly TimeSpan ServerTimeout = TimeSpan.FromSeconds(5);

    // Every final status the server (or this test's handler) may answer with.
    private static readonly HashSet<int> s_allowedStatuses = [200, 400, 408, 413, 431, 500, 501, 505];

    [Theory]
    [InlineData(20251125, 300)]
    [InlineData(1, 300)]
    [InlineData(4242, 300)]
    public void AdversarialInputs_AreAnsweredOrClosed_NeverCrashHangOrSmuggle(int seed, int cases) => Fuzz(seed, cases);

    /// <summary>Runs the seeds of <c>GEVENTSHARP_HTTP_FUZZ</c> (nothing when it is not set).</summary>
    [Fact]
    public void FromEnvironment()
    {
        string? spec = Environment.GetEnvironmentVariable("GEVENTSHARP_HTTP_FUZZ");
        if (string.IsNullOrWhiteSpace(spec))
        {
            return;
        }

        string[] parts = spec.Split(':');
        string[] range = parts[0].Split('-');
        int first = int.Parse(range[0]);
        int last = range.Length > 1 ? int.Parse(range[1]) : first;
        int cases = parts.Length > 1 ? int.Parse(parts[1]) : 300;
        for (int seed = first; seed <= last; seed++)
        {
            Fuzz(seed, cases);
        }
    }

    // ---- the run ----

    private static void Fuzz(int seed, int count)
    {
        var rng = new Random(seed);
        List<FuzzCase> cases = Enumerable.Range(0, count).Select(_ => Generate(rng)).ToList();
        var clock = new VirtualClock();
        var reported = new List<Exception>();
        int throws = 0;
        Gevent.Run(async () => throws = await RunAllAsync(seed, cases, reported), new HubOptions { Poller = PollerKind.Epoll, TimeProvider = clock, ErrorHandler = (g, e) => reported.Add(e), MonitorThreshold = null }); // virtual time: the real-time monitor is off, as in HubHarness

        // Only the handler's deliberate failures reach the hub's error handler, each once.
        Exception? unexpected = reported.FirstOrDefault(e => e is not DeliberateFailure);
        Assert.True(unexpected is null, $"seed {seed}: the hub reported an unexpected failure: {unexpected}");
        Assert.Equal(throws, reported.Count);
    }

    private static async Task<int> RunAllAsync(int seed, List<FuzzCase> cases, List<Exception> reported)
    {
        var state = new HandlerState();
        await using var server = new HttpServer(
            NetHub.Loopback0,
            state.HandleAsync,
            new HttpServerOptions
            {
                MaxRequestHeadSize = HeadLimit,
                MaxRequestHeaderCount = HeaderLimit,
                MaxRequestBodySize = BodyLimit,
                KeepAliveTimeout = ServerTimeout,
                RequestHeadersTimeout = ServerTimeout,
                IoTimeout = ServerTimeout,
            });
        server.Start();

        for (int i = 0; i < cases.Count; i++)
        {
            FuzzCase c = cases[i];
            state.Reset();
            string? failure;
            Exchange exchange = default;
            try
            {
                exchange = await ExchangeAsync(server, c);
                failure = Check(c, exchange, state);
            }
            catch (Exception e) when (e is not GreenletExit and not Timeout)
            {
                failure = "the test's client failed: " + e;
            }

            if (failure is null && reported.FirstOrDefault(e => e is not DeliberateFailure) is { } unexpected)
            {
                failure = "the hub reported an unexpected failure: " + unexpected;
            }

            if (failure is null && server.ConnectionCount != 0)
            {
                // The client has closed its end; the server must let go of the connection by its own timeouts.
                for (int k = 0; k < 40 && server.ConnectionCount != 0; k++)
                {
                    await Gevent.Sleep(0.5);
                }

                if (server.ConnectionCount != 0)
                {
                    failure = $"the server still holds {server.ConnectionCount} connection(s) 20 virtual seconds after the client closed";
                }
            }

            if (failure is not null)
            {
                throw new Xunit.Sdk.XunitException(
                    $"HTTP fuzz seed {seed}, case {i} ({c.Kind}{(c.HalfClose ? ", half-closed" : string.Empty)}{(c.Abort ? ", aborted" : string.Empty)}, " +
                    $"pieces split at [{string.Join(", ", c.Splits)}]): {failure}\n" +
                    $"  replay: GEVENTSHARP_HTTP_FUZZ={seed}:{cases.Count}\n" +
                    $"  input ({c.Input.Length} bytes): \"{ParserFuzzer.Escape(c.Input)}\"\n" +
                    $"  received ({exchange.Received?.Length ?? 0} bytes{(exchange.Reset ? ", then reset" : string.Empty)}): \"{ParserFuzzer.Escape(exchange.Received ?? [])}\"\n" +
                    $"  handler saw: [{string.Join("; ", state.Seen.Select(s => $"{s.Method} {s.Target} {s.Version} body={(s.Body is null ? "unread" : ParserFuzzer.Escape(s.Body))}"))}]\n" +
                    $"  handler noted: [{string.Join("; ", state.Violations)}]");
            }
        }

        // The server keeps serving: a plain request on a new connection.
        state.Reset();
        var last = new FuzzCase("final plain request", Encoding.ASCII.GetBytes("GET /read/final HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), [], HalfClose: false, Abort: false, new Expect { Statuses = [200] });
        Exchange final = await ExchangeAsync(server, last);
        Assert.True(Check(last, final, state) is null, $"seed {seed}: after the run, a plain request got: \"{ParserFuzzer.Escape(final.Received)}\"");
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", Encoding.Latin1.GetString(final.Received));
        return state.TotalThrows;
    }

    private readonly record struct Exchange(byte[] Received, bool Reset);

    /// <summary>Sends the input on a fresh connection (in pieces, pausing on the virtual clock) and reads until the server closes.</summary>
    /// <summary>
    /// The virtual clock jumps when the hub sees nothing to do, and it cannot see bytes the kernel has
    /// not delivered yet: on a loaded machine a loopback close can still be on its way after the
    /// hub's 10 ms settle (seen twice in 26 full runs with two extra busy loops; both times the
    /// server had already let go of the connection). If the server has, its close is in flight: wait
    /// for it in real time, bounded. A server that still holds the connection is a hang.
    /// </summary>
    private static async Task<bool> ServerClosedAndDeliveredAsync(HttpServer server, Greenlet reader)
    {
        if (server.ConnectionCount != 0)
        {
            return false;
        }

        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(5)); // real-time: a bound for kernel delivery, not a sleep
        try
        {
            return await reader.JoinAsync(null, guard.Token);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static async Task<Exchange> ExchangeAsync(HttpServer server, FuzzCase c)
    {
        using GreenSocket sock = GreenSocket.CreateTcp();
        await sock.ConnectAsync(server.Address);
        var received = new MemoryStream();
        bool reset = false;
        Greenlet sender = Gevent.Spawn(async () =>
        {
            try
            {
                int from = 0;
                foreach (int to in c.Splits.Append(c.Input.Length))
                {
                    if (from > 0)
                    {
                        await Gevent.Sleep(0.01); // well under the server's timeouts: the server reads the pieces apart
                    }

                    await sock.SendAllAsync(c.Input.AsMemory(from, to - from));
                    from = to;
                }

                if (c.HalfClose)
                {
                    sock.Shutdown(SocketShutdown.Send);
                }
            }
            catch (Exception e) when (e is SocketException or IOException or SocketClosedException)
            {
                // The server answered and closed before it had everything: fine.
            }
        });

        if (c.Abort)
        {
            await sender.JoinAsync(TimeSpan.FromSeconds(60));
            return new Exchange([], false); // closed without reading: the server must cope (checked by the connection count)
        }

        Greenlet reader = Gevent.Spawn(async () =>
        {
            byte[] buffer = new byte[16 * 1024];
            try
            {
                int n;
                while ((n = await sock.ReceiveAsync(buffer)) > 0)
                {
                    received.Write(buffer, 0, n);
                }
            }
            catch (SocketException)
            {
                reset = true; // the server closed with input unread: the kernel sent a reset
            }
        });

        // Only the server's timeouts (5 virtual seconds each) may end a stalled exchange.
        if (!await reader.JoinAsync(TimeSpan.FromSeconds(60)) && !await ServerClosedAndDeliveredAsync(server, reader))
        {
            reader.Kill();
            sender.Kill();
            throw new TimeoutException($"hang: the server neither closed nor finished within 60 virtual seconds; server connections open: {server.ConnectionCount}; reader: {reader}, waiting on {reader.WaitingOn} (got \"{ParserFuzzer.Escape(received.ToArray())}\")");
        }

        await sender.JoinAsync(TimeSpan.FromSeconds(60));
        return new Exchange(received.ToArray(), reset);
    }

    // ---- invariants ----

    /// <summary>Null if the exchange is fine, else what went wrong.</summary>
    private static string? Check(FuzzCase c, Exchange x, HandlerState state)
    {
        if (state.Violations.Count > 0)
        {
            return "a malformed request reached the handler: " + state.Violations[0];
        }

        if (c.Abort)
        {
            return null;
        }

        List<string> methods = state.Seen.Select(s => s.Method).ToList();
        string? error = ParseResponses(x.Received, methods, x.Reset, out List<int> statuses);
        if (error is not null)
        {
            return error;
        }

        int oks = statuses.Count(s => s == 200);
        if (oks > state.Seen.Count)
        {
            return $"{oks} 200 responses but the handler ran {state.Seen.Count} time(s)";
        }

        int errors500 = statuses.Count(s => s == 500);
        if (x.Reset ? errors500 > state.Throws : errors500 != state.Throws)
        {
            return $"{errors500} 500 responses for {state.Throws} deliberate handler failure(s)";
        }

        Expect e = c.Expect;
        List<int> finalStatuses = statuses.Where(s => s >= 200).ToList();
        if (e.Statuses is { } expected)
        {
            bool matches = finalStatuses.SequenceEqual(expected)
                || (x.Reset && finalStatuses.Count < expected.Length && expected.Take(finalStatuses.Count).SequenceEqual(finalStatuses));
            if (!matches)
            {
                return $"expected statuses [{string.Join(", ", expected)}], got [{string.Join(", ", finalStatuses)}]";
            }
        }

        if (e.StatusesOneOf is { } options && !options.Any(o => finalStatuses.SequenceEqual(o)))
        {
            return $"expected statuses one of {string.Join(" or ", options.Select(o => $"[{string.Join(", ", o)}]"))}, got [{string.Join(", ", finalStatuses)}]";
        }

        if (e.MaxHandled is { } max && state.Seen.Count > max)
        {
            return $"the handler ran {state.Seen.Count} time(s); at most {max} request(s) of this input may reach it";
        }

        if (e.Requests is { } requests)
        {
            List<(string, string?)> seen = state.Seen.Select(s => (s.Target, s.Body is null ? null : Encoding.Latin1.GetString(s.Body))).ToList();
            if (!seen.SequenceEqual(requests))
            {
                return $"the handler saw [{string.Join("; ", seen)}], expected [{string.Join("; ", requests)}]";
            }
        }

        if (e.NoBodyDelivered && state.Seen.Any(s => s.Body is not null && s.Body.Length > 0 && s.BodyComplete))
        {
            return "a malformed body was delivered to the handler as complete";
        }

        return null;
    }

    /// <summary>Parses everything the server sent as a sequence of HTTP/1.1 responses; null if it is well-formed.</summary>
    private static string? ParseResponses(byte[] data, List<string> methods, bool reset, out List<int> statuses)
    {
        statuses = [];
        int pos = 0;
        int answered = 0;
        while (pos < data.Length)
        {
            int end = data.AsSpan(pos).IndexOf("\r\n\r\n"u8);
            if (end < 0)
            {
                return reset ? null : $"a response head without its empty line at byte {pos}";
            }

            string[] lines = Encoding.Latin1.GetString(data, pos, end).Split("\r\n");
            pos += end + 4;
            string statusLine = lines[0];
            if (statusLine.Length < 13 || !statusLine.StartsWith("HTTP/1.1 ", StringComparison.Ordinal)
                || statusLine[9] is < '1' or > '5' || !char.IsAsciiDigit(statusLine[10]) || !char.IsAsciiDigit(statusLine[11])
                || statusLine[12] != ' ' || statusLine.Skip(13).Any(ch => ch is < ' ' and not '\t' or '\x7F'))
            {
                return $"not an HTTP/1.1 status line with a 1xx-5xx code: \"{statusLine}\"";
            }

            int status = int.Parse(statusLine.AsSpan(9, 3));
            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (string line in lines.Skip(1))
            {
                int colon = line.IndexOf(':');
                if (colon <= 0 || line[..colon].Any(ch => !HttpHeaders.IsTokenChar(ch)) || line.Skip(colon + 1).Any(ch => ch is < ' ' and not '\t' or '\x7F'))
                {
                    return $"a malformed response header line \"{line}\"";
                }

                if (!headers.TryAdd(line[..colon], line[(colon + 1)..].Trim()))
                {
                    return $"a repeated response header \"{line[..colon]}\"";
                }
            }

            statuses.Add(status);
            if (status < 200)
            {
                if (status != 100)
                {
                    return $"an unexpected interim status {status}";
                }

                continue;
            }

            if (!s_allowedStatuses.Contains(status))
            {
                return $"an unexpected status {status}";
            }

            bool head = answered < methods.Count && methods[answered] == "HEAD";
            answered++;
            bool close = headers.TryGetValue("Connection", out string? connection) && connection.Equals("close", StringComparison.OrdinalIgnoreCase);
            if (status >= 400 && !close)
            {
                return $"an error response ({status}) that does not close the connection";
            }

            if (headers.ContainsKey("Content-Length") && headers.ContainsKey("Transfer-Encoding"))
            {
                return "a response with both Content-Length and Transfer-Encoding";
            }

            if (head || status is 204 or 304)
            {
                // no body
            }
            else if (headers.TryGetValue("Transfer-Encoding", out string? te))
            {
                if (te != "chunked")
                {
                    return $"a response with Transfer-Encoding \"{te}\"";
                }

                while (true)
                {
                    int lineEnd = data.AsSpan(pos).IndexOf("\r\n"u8);
                    if (lineEnd < 0)
                    {
                        return reset ? null : "a chunked response body cut short";
                    }

                    string sizeText = Encoding.Latin1.GetString(data, pos, lineEnd);
                    if (sizeText.Length == 0 || !int.TryParse(sizeText, System.Globalization.NumberStyles.AllowHexSpecifier, null, out int size))
                    {
                        return $"a bad chunk size line \"{sizeText}\" in a response";
                    }

                    pos += lineEnd + 2;
                    if (data.Length - pos < size + 2)
                    {
                        return reset ? null : "a response chunk cut short";
                    }

                    if (data[pos + size] != '\r' || data[pos + size + 1] != '\n')
                    {
                        return "a response chunk not followed by CRLF";
                    }

                    pos += size + 2;
                    if (size == 0)
                    {
                        break;
                    }
                }
            }
            else if (headers.TryGetValue("Content-Length", out string? cl))
            {
                if (!int.TryParse(cl, out int length) || length < 0)
                {
                    return $"a response Content-Length \"{cl}\"";
                }

                if (data.Length - pos < length)
                {
                    return reset ? null : "a response body shorter than its Content-Length";
                }

                pos += length;
            }
            else
            {
                if (!close)
                {
                    return "a response with no framing that does not close the connection";
                }

                pos = data.Length; // delimited by the close
            }

            if (close && pos != data.Length)
            {
                return $"{data.Length - pos} byte(s) after a response that said Connection: close";
            }
        }

        return null;
    }

    // ---- the handler ----

    private sealed class DeliberateFailure() : Exception("the fuzz handler fails on purpose for /throw");

    private sealed class Seen(string method, string target, string version)
    {
        public string Method { get; } = method;

        public string Target { get; } = target;

        public string Version { get; } = version;

        public byte[]? Body { get; set; }

        public bool BodyComplete { get; set; }
    }

    private sealed class HandlerState
    {
        public List<Seen> Seen { get; } = [];

        public List<string> Violations { get; } = [];

        public int Throws { get; private set; }

        public int TotalThrows { get; private set; }

        public void Reset()
        {
            Seen.Clear();
            Violations.Clear();
            Throws = 0;
        }

        public async Task HandleAsync(HttpRequest request, HttpResponse response)
        {
            var seen = new Seen(request.Method, request.Target, request.Version);
            Seen.Add(seen);
            Validate(request);
            string path = request.Path;
            if (path.StartsWith("/throw", StringComparison.Ordinal))
            {
                Throws++;
                TotalThrows++;
                throw new DeliberateFailure();
            }

            if (request.Method != "HEAD" && (path.StartsWith("/read", StringComparison.Ordinal) || path.StartsWith("/stream", StringComparison.Ordinal)))
            {
                byte[] body = await request.ReadBodyAsync(); // a bad body throws out of here: the server answers it
                seen.Body = body;
                seen.BodyComplete = true;
                if (request.ContentLength is { } declared && body.Length != declared)
                {
                    Violations.Add($"a body of {body.Length} bytes for Content-Length {declared}");
                }

                if (body.Length > BodyLimit)
                {
                    Violations.Add($"a body of {body.Length} bytes, over the limit");
                }
            }

            response.ContentType = "text/plain";
            await response.WriteAsync($"ok {request.Method} {path}");
            if (path.StartsWith("/stream", StringComparison.Ordinal))
            {
                await response.FlushAsync(); // chunked (HTTP/1.1) or close-delimited (HTTP/1.0) from here on
                await response.WriteAsync(" and more");
            }
        }

        /// <summary>What the server must never pass on as a valid request (RFC 9112, and the server's own limits).</summary>
        private void Validate(HttpRequest r)
        {
            if (r.Method.Length == 0 || r.Method.Any(ch => !HttpHeaders.IsTokenChar(ch)))
            {
                Violations.Add($"method \"{r.Method}\" is not a token");
            }

            if (r.Target.Length == 0 || r.Target.Any(ch => ch is <= ' ' or >= '\x7F'))
            {
                Violations.Add($"target \"{r.Target}\" has spaces or control characters");
            }

            if (r.Version is not ("HTTP/1.1" or "HTTP/1.0"))
            {
                Violations.Add($"version \"{r.Version}\"");
            }

            if (r.Headers.Count > HeaderLimit)
            {
                Violations.Add($"{r.Headers.Count} header fields, over the limit");
            }

            foreach (KeyValuePair<string, string> f in r.Headers)
            {
                if (f.Key.Length == 0 || f.Key.Any(ch => !HttpHeaders.IsTokenChar(ch)))
                {
                    Violations.Add($"header name \"{f.Key}\" is not a token");
                }

                if (f.Value.Any(ch => ch is (< ' ' and not '\t') or '\x7F') || f.Value != f.Value.Trim(' ', '\t'))
                {
                    Violations.Add($"header value \"{f.Value}\" has control characters or untrimmed whitespace");
                }
            }

            string? te = r.Headers["Transfer-Encoding"];
            string? cl = r.Headers["Content-Length"];
            if (te is not null && cl is not null)
            {
                Violations.Add("both Transfer-Encoding and Content-Length");
            }

            if (te is not null && (r.Version != "HTTP/1.1" || !te.Trim().Equals("chunked", StringComparison.OrdinalIgnoreCase) || r.ContentLength is not null))
            {
                Violations.Add($"Transfer-Encoding \"{te}\" in {r.Version} accepted (ContentLength {r.ContentLength})");
            }

            if (cl is not null)
            {
                string[] values = cl.Split(',').Select(v => v.Trim(' ', '\t')).ToArray();
                if (values.Any(v => v.Length == 0 || v.Any(ch => !char.IsAsciiDigit(ch))) || values.Distinct().Count() != 1
                    || !long.TryParse(values[0], out long n) || n != r.ContentLength || n > BodyLimit)
                {
                    Violations.Add($"Content-Length \"{cl}\" accepted as {r.ContentLength}");
                }
            }

            if (te is null && cl is null && r.ContentLength != 0)
            {
                Violations.Add($"no framing headers but ContentLength {r.ContentLength}");
            }
        }
    }

    // ---- inputs ----

    private sealed record FuzzCase(string Kind, byte[] Input, int[] Splits, bool HalfClose, bool Abort, Expect Expect);

    /// <summary>What a case's input must lead to, beyond the invariants every case is held to.</summary>
    private sealed class Expect
    {
        /// <summary>The final statuses, in order (a prefix of them if the connection was reset).</summary>
        public int[]? Statuses { get; init; }

        /// <summary>Alternatives for the final statuses (e.g. 408 if the client stalls, nothing if it half-closed mid-head).</summary>
        public int[][]? StatusesOneOf { get; init; }

        /// <summary>At most this many requests of the input may reach the handler.</summary>
        public int? MaxHandled { get; init; }

        /// <summary>Exactly these (target, body) reach the handler, in order (body null: not read).</summary>
        public (string Target, string? Body)[]? Requests { get; init; }

        /// <summary>The handler must not be given a complete body (the framing is bad).</summary>
        public bool NoBodyDelivered { get; init; }
    }

    private sealed record Req(string Wire, string Target, string? Body);

    private static readonly string[] s_paths = ["/read", "/skip", "/stream", "/throw", "/read"];

    private static FuzzCase Generate(Random rng)
    {
        bool halfClose = rng.Next(2) == 0;
        (string kind, byte[] input, Expect expect) = rng.Next(20) switch
        {
            0 or 1 => Valid(rng),
            2 or 3 or 4 => Mutated(rng),
            5 => ControlCharInHeader(rng),
            6 => LineEndings(rng),
            7 => BadContentLength(rng),
            8 => TransferEncoding(rng),
            9 => BadChunks(rng),
            10 => Overlong(rng),
            11 or 12 => PipelinedMix(rng),
            13 => OldAndNewProtocols(rng),
            14 => Garbage(rng),
            15 => Folding(rng),
            16 => Truncated(rng),
            17 => ChunkExtensions(rng),
            18 => Smuggling(rng),
            _ => Mutated(rng),
        };

        int pieces = rng.Next(4) == 0 ? rng.Next(2, 6) : 1;
        int[] splits = input.Length < 2 ? [] : Enumerable.Range(0, pieces - 1).Select(_ => rng.Next(1, input.Length)).Distinct().Order().ToArray();
        bool abort = rng.Next(25) == 0;
        return new FuzzCase(kind, input, splits, halfClose, abort, abort ? new Expect() : expect);
    }

    private static byte[] Bytes(string s) => Encoding.Latin1.GetBytes(s);

    private static string Path(Random rng) => s_paths[rng.Next(s_paths.Length)] + "/" + rng.Next(1000) + (rng.Next(3) == 0 ? "?q=" + rng.Next(100) : string.Empty);

    private static string Body(Random rng, int max = 40)
    {
        var sb = new StringBuilder();
        int n = rng.Next(max);
        for (int i = 0; i < n; i++)
        {
            sb.Append((char)rng.Next('a', 'z' + 1));
        }

        return sb.ToString();
    }

    /// <summary>A well-formed request: GET/HEAD/POST, Content-Length or chunked, HTTP/1.1 or 1.0, maybe Expect: 100-continue.</summary>
    private static Req ValidRequest(Random rng, string? path = null, bool allowClose = true)
    {
        path ??= Path(rng);
        var sb = new StringBuilder();
        bool http10 = rng.Next(6) == 0;
        string method = rng.Next(5) switch { 0 => "GET", 1 => "HEAD", 2 => "PUT", _ => "POST" };
        sb.Append(method).Append(' ').Append(path).Append(http10 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n");
        sb.Append("Host: example.test\r\n");
        if (rng.Next(3) == 0)
        {
            sb.Append("User-Agent: fuzz/1.0\r\nAccept: */*\r\n");
        }

        if (http10)
        {
            sb.Append("Connection: keep-alive\r\n");
        }
        else if (allowClose && rng.Next(8) == 0)
        {
            sb.Append("Connection: close\r\n");
        }

        string? body = null;
        if (method is "POST" or "PUT")
        {
            body = Body(rng);
            if (!http10 && rng.Next(3) == 0)
            {
                sb.Append("Transfer-Encoding: chunked\r\n");
                if (body.Length > 0 && rng.Next(3) == 0)
                {
                    sb.Append("Expect: 100-continue\r\n");
                }

                sb.Append("\r\n");
                int at = 0;
                while (at < body.Length)
                {
                    int n = Math.Min(body.Length - at, rng.Next(1, 16));
                    sb.Append(n.ToString(rng.Next(2) == 0 ? "x" : "X")).Append(rng.Next(4) == 0 ? ";ext=v" : string.Empty).Append("\r\n");
                    sb.Append(body, at, n).Append("\r\n");
                    at += n;
                }

                sb.Append("0\r\n").Append(rng.Next(4) == 0 ? "X-Trailer: t\r\n" : string.Empty).Append("\r\n");
            }
            else
            {
                sb.Append("Content-Length: ").Append(body.Length).Append("\r\n");
                if (!http10 && body.Length > 0 && rng.Next(4) == 0)
                {
                    sb.Append("Expect: 100-continue\r\n");
                }

                sb.Append("\r\n").Append(body);
            }
        }
        else
        {
            sb.Append("\r\n");
        }

        bool reads = method is not "HEAD" and not "GET" && (path.StartsWith("/read") || path.StartsWith("/stream"));
        string? seenBody = method == "GET" && (path.StartsWith("/read") || path.StartsWith("/stream")) ? string.Empty : reads ? body : null;
        return new Req(sb.ToString(), path, seenBody);
    }

    private static int Status(Req r) => r.Target.StartsWith("/throw") ? 500 : 200;

    /// <summary>True if the server closes the connection after answering this request.</summary>
    private static bool Ends(Req r)
        => r.Target.StartsWith("/throw")                                                  // a 500 closes
            || r.Wire.Contains("Connection: close")
            || (r.Wire.Contains(" HTTP/1.0\r\n") && r.Target.StartsWith("/stream"))     // flushed without a length: close-delimited
            || (r.Wire.Contains("Expect: 100-continue") && r.Target.StartsWith("/skip")); // the client may wait for 100 Continue: close

    /// <summary>One or more valid requests, pipelined: every one answered in order with what was sent.</summary>
    private static (string, byte[], Expect) Valid(Random rng)
    {
        int n = rng.Next(1, 5);
        var reqs = new List<Req>();
        var wire = new StringBuilder();
        if (rng.Next(5) == 0)
        {
            wire.Append("\r\n\r\n"); // empty lines before a request line are ignored (RFC 9112 section 2.2)
        }

        for (int i = 0; i < n; i++)
        {
            Req r = ValidRequest(rng);
            reqs.Add(r);
            wire.Append(r.Wire);
            if (Ends(r))
            {
                break;
            }
        }

        return ($"valid x{reqs.Count}", Bytes(wire.ToString()), new Expect { Statuses = reqs.Select(Status).ToArray(), Requests = reqs.Select(r => (r.Target, r.Body)).ToArray() });
    }

    private static readonly byte[] s_interesting = [(byte)'\r', (byte)'\n', 0, (byte)' ', (byte)'\t', (byte)':', (byte)';', (byte)',', 0x7F, 0xFF, 0x80, (byte)'0', (byte)'-', (byte)'"'];

    /// <summary>A valid request (or two) with bytes flipped, inserted, deleted or repeated.</summary>
    private static (string, byte[], Expect) Mutated(Random rng)
    {
        var bytes = new List<byte>(Bytes(ValidRequest(rng).Wire + (rng.Next(2) == 0 ? ValidRequest(rng).Wire : string.Empty)));
        int mutations = rng.Next(1, 5);
        var what = new List<string>();
        for (int m = 0; m < mutations && bytes.Count > 0; m++)
        {
            int at = rng.Next(bytes.Count);
            byte b = rng.Next(2) == 0 ? s_interesting[rng.Next(s_interesting.Length)] : (byte)rng.Next(256);
            switch (rng.Next(5))
            {
                case 0:
                    bytes[at] = b;
                    what.Add("flip");
                    break;
                case 1:
                    bytes.Insert(at, b);
                    what.Add("insert");
                    break;
                case 2:
                    bytes.RemoveAt(at);
                    what.Add("delete");
                    break;
                case 3:
                    bytes[at] ^= (byte)(1 << rng.Next(8));
                    what.Add("bitflip");
                    break;
                default:
                    int len = Math.Min(rng.Next(1, 30), bytes.Count - at);
                    bytes.InsertRange(at, bytes.GetRange(at, len));
                    what.Add("repeat");
                    break;
            }
        }

        return ("mutated " + string.Join("+", what), bytes.ToArray(), new Expect());
    }

    private static (string, byte[], Expect) ControlCharInHeader(Random rng)
    {
        char ctl = "\0\x01\x08\x0B\x0C\x1B\x7F\r"[rng.Next(8)];
        bool inName = rng.Next(2) == 0;
        string field = inName ? $"X-Bad{ctl}Name: v" : $"X-Bad: a{ctl}b";
        string wire = $"GET /read/ctl HTTP/1.1\r\nHost: x\r\n{field}\r\n\r\n";
        return ($"control char 0x{(int)ctl:X2} in a header {(inName ? "name" : "value")}", Bytes(wire), new Expect { Statuses = [400], MaxHandled = 0 });
    }

    private static (string, byte[], Expect) LineEndings(Random rng)
    {
        // A bare LF is refused as soon as it arrives (never a wait for a CRLFCRLF), whether or not the client half-closes.
        return rng.Next(6) switch
        {
            0 => ("bare LF everywhere", Bytes("GET /read HTTP/1.1\nHost: x\n\n"), new Expect { Statuses = [400], MaxHandled = 0 }),
            1 => ("bare LF in a header", Bytes("GET /read HTTP/1.1\r\nHost: x\nX-Smuggled: y\r\n\r\n"), new Expect { Statuses = [400], MaxHandled = 0 }),
            2 => ("bare CR in the request line", Bytes("GET /read\rHTTP/1.1\r\nHost: x\r\n\r\n"), new Expect { Statuses = [400], MaxHandled = 0 }),
            3 => ("CR without LF between headers", Bytes("GET /read HTTP/1.1\r\nHost: x\rX-Smuggled: y\r\n\r\n"), new Expect { Statuses = [400], MaxHandled = 0 }),
            4 => ("bare LF ends the head", Bytes("GET /read HTTP/1.1\r\nHost: x\r\n\n"), new Expect { Statuses = [400], MaxHandled = 0 }),
            _ => ("LF CR LF", Bytes("GET /read HTTP/1.1\r\nHost: x\n\r\n\r\n"), new Expect { Statuses = [400], MaxHandled = 0 }),
        };
    }

    private static (string, byte[], Expect) BadContentLength(Random rng)
    {
        string[] bad = ["-1", "abc", "0x10", "1e3", "+5", "5 5", "", "99999999999999999999", "18446744073709551621", "5, 6", "5,", ",5", "5;", "\"5\"", "\u0663"];
        string value = bad[rng.Next(bad.Length)];
        return rng.Next(3) switch
        {
            0 => ($"bad Content-Length \"{value}\"", Bytes($"POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: {value}\r\n\r\nhello"), new Expect { Statuses = [400], MaxHandled = 0 }),
            1 => ($"Content-Length 5 and \"{value}\"", Bytes($"POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: {(value.Length == 0 ? "6" : value)}\r\n\r\nhello"), new Expect { Statuses = [400], MaxHandled = 0 }),
            _ => ("Content-Length over the limit", Bytes($"POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: {BodyLimit + 1 + rng.Next(1_000_000)}\r\n\r\nhello"), new Expect { Statuses = [413], MaxHandled = 0 }),
        };
    }

    private static (string, byte[], Expect) TransferEncoding(Random rng)
    {
        const string body = "5\r\nhello\r\n0\r\n\r\n";
        return rng.Next(8) switch
        {
            0 => ("TE + CL", Bytes($"POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n{body}"), new Expect { Statuses = [400], MaxHandled = 0 }),
            1 => ("CL + TE", Bytes($"POST /read HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n{body}"), new Expect { Statuses = [400], MaxHandled = 0 }),
            2 => ("TE twice", Bytes($"POST /read HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n{body}"), new Expect { Statuses = [501], MaxHandled = 0 }),
            3 => ("TE gzip, chunked", Bytes($"POST /read HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n{body}"), new Expect { Statuses = [501], MaxHandled = 0 }),
            4 => ("TE xchunked", Bytes($"POST /read HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n{body}"), new Expect { Statuses = [501], MaxHandled = 0 }),
            5 => ("TE in HTTP/1.0", Bytes($"POST /read HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n{body}"), new Expect { Statuses = [400], MaxHandled = 0 }),
            6 => ("TE with a space before the colon", Bytes($"POST /read HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n{body}"), new Expect { Statuses = [400], MaxHandled = 0 }),
            _ => ("TE Chunked (case)", Bytes($"POST /read HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: \tChunked \r\n\r\n{body}"), new Expect { Statuses = [200], Requests = [("/read", "hello")] }),
        };
    }

    private static (string, byte[], Expect) BadChunks(Random rng)
    {
        string[] chunks =
        [
            "zz\r\nhello\r\n0\r\n\r\n",
            "-5\r\nhello\r\n0\r\n\r\n",
            "0x5\r\nhello\r\n0\r\n\r\n",
            "+5\r\nhello\r\n0\r\n\r\n",
            "fffffffffffffffff\r\nhello\r\n0\r\n\r\n",
            "ffffffffffffffff\r\nhello\r\n0\r\n\r\n",
            "5 5\r\nhello\r\n0\r\n\r\n",
            "\r\nhello\r\n0\r\n\r\n",
            "3\r\nhello\r\n0\r\n\r\n",
            "5\r\nhelloXX\r\n0\r\n\r\n",
            "5\r\nhello\n0\r\n\r\n",
            "5\nhello\r\n0\r\n\r\n",
            "5\r\nhello\r\n0\n\r\n",
            "1000\r\n" + new string('a', 4096) + "\r\n1\r\nb\r\n0\r\n\r\n",
            "5\r\nhello\r\n0\r\nX-Trailer: a\rb\r\n\r\n",
            "5\r\nhello\r\n0\r\nX-Trailer: a\nb\r\n\r\n",
        ];
        string chunk = chunks[rng.Next(chunks.Length)];
        string wire = $"POST /read/chunks HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n{chunk}";
        int status = chunk.StartsWith("1000") ? 413 : 400;

        return ("bad chunk " + ParserFuzzer.Escape(Bytes(chunk.Length > 30 ? chunk[..30] : chunk)), Bytes(wire), new Expect { Statuses = [status], NoBodyDelivered = true, MaxHandled = 1 });
    }

    private static (string, byte[], Expect) ChunkExtensions(Random rng)
    {
        string[] good = ["5;a=b", "5 ;a=b", "5;a", "5;a=\"q;x\"", "5\t;a=b", "5;a=b;c=d"];
        string[] bad = ["5;a\nb", "5;a\rb", "5;a=b\0", "5;a=\x01", "5;\x7F"];
        if (rng.Next(2) == 0)
        {
            string ext = good[rng.Next(good.Length)];
            return ($"chunk extension \"{ext}\"", Bytes($"POST /read HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n{ext}\r\nhello\r\n0\r\n\r\n"), new Expect { Statuses = [200], Requests = [("/read", "hello")] });
        }

        string b = bad[rng.Next(bad.Length)];
        return ($"chunk extension with a control character \"{ParserFuzzer.Escape(Bytes(b))}\"", Bytes($"POST /read HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n{b}\r\nhello\r\n0\r\n\r\n"), new Expect { Statuses = [400], NoBodyDelivered = true, MaxHandled = 1 });
    }

    private static (string, byte[], Expect) Overlong(Random rng)
    {
        return rng.Next(4) switch
        {
            0 => ("overlong request line", Bytes($"GET /read/{new string('a', HeadLimit + rng.Next(3000))} HTTP/1.1\r\nHost: x\r\n\r\n"), new Expect { Statuses = [431], MaxHandled = 0 }),
            1 => ("overlong header", Bytes($"GET /read HTTP/1.1\r\nHost: x\r\nX-Big: {new string('b', HeadLimit + rng.Next(3000))}\r\n\r\n"), new Expect { Statuses = [431], MaxHandled = 0 }),
            2 => ("too many headers", Bytes("GET /read HTTP/1.1\r\n" + string.Concat(Enumerable.Range(0, HeaderLimit + 1 + rng.Next(20)).Select(i => $"X-{i}: v\r\n")) + "\r\n"), new Expect { Statuses = [431], MaxHandled = 0 }),
            _ => ("an endless head", Bytes("GET /read HTTP/1.1\r\n" + string.Concat(Enumerable.Repeat("X: y\r\n", 1000))), new Expect { Statuses = [431], MaxHandled = 0 }),
        };
    }

    /// <summary>Good requests, then a bad one, then one that must never reach the handler.</summary>
    private static (string, byte[], Expect) PipelinedMix(Random rng)
    {
        var good = new List<Req>();
        var wire = new StringBuilder();
        int n = rng.Next(0, 4);
        for (int i = 0; i < n; i++)
        {
            Req r = ValidRequest(rng, s_paths[rng.Next(s_paths.Length)].Replace("/throw", "/skip") + "/" + i, allowClose: false);
            good.Add(r);
            wire.Append(r.Wire);
            if (Ends(r))
            {
                break; // the server closes after this one: the bad request is never read
            }
        }

        (string what, string bad, int status)[] bads =
        [
            ("CL+TE", "POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
            ("folded", "GET /read HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n", 400),
            ("bad CL", "POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 4x\r\n\r\nabcd", 400),
            ("two CLs", "POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 40\r\n\r\nabcd", 400),
            ("HTTP/2", "GET /read HTTP/2.0\r\nHost: x\r\n\r\n", 505),
            ("no version", "GET /read\r\nHost: x\r\n\r\n", 400),
            ("space in the target", "GET /read /smuggled HTTP/1.1\r\nHost: x\r\n\r\n", 400),
            ("NUL in a value", "GET /read HTTP/1.1\r\nHost: x\0y\r\n\r\n", 400),
            ("TE deflate", "POST /read HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: deflate\r\n\r\n", 501),
        ];
        var (what, badWire, status) = bads[rng.Next(bads.Length)];
        wire.Append(badWire);
        wire.Append("GET /read/smuggled HTTP/1.1\r\nHost: x\r\n\r\n");
        bool closedEarly = good.Count > 0 && Ends(good[^1]);
        int[] statuses = closedEarly ? good.Select(Status).ToArray() : good.Select(Status).Append(status).ToArray();
        return ($"pipelined {good.Count} good + {what}", Bytes(wire.ToString()), new Expect { Statuses = statuses, MaxHandled = good.Count, Requests = good.Select(r => (r.Target, r.Body)).ToArray() });
    }

    private static (string, byte[], Expect) OldAndNewProtocols(Random rng)
    {
        return rng.Next(5) switch
        {
            0 => ("HTTP/0.9 request", Bytes("GET /read\r\n\r\n"), new Expect { Statuses = [400], MaxHandled = 0 }),
            1 => ("HTTP/0.9 request, one line", Bytes("GET /read\r\n"), new Expect { Statuses = [400], MaxHandled = 0 }), // refused once its line is whole, not after a timeout
            2 => ("HTTP/2 preface", Bytes("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0"), new Expect { Statuses = [505], MaxHandled = 0 }),
            3 => ("HTTP/1.2", Bytes("GET /read HTTP/1.2\r\nHost: x\r\n\r\n"), new Expect { Statuses = [505], MaxHandled = 0 }),
            _ => ("lowercase version", Bytes("GET /read http/1.1\r\nHost: x\r\n\r\n"), new Expect { Statuses = [400], MaxHandled = 0 }),
        };
    }

    private static (string, byte[], Expect) Garbage(Random rng)
    {
        byte[] bytes = new byte[rng.Next(1, 3000)];
        rng.NextBytes(bytes);
        if (rng.Next(2) == 0)
        {
            // Make it end like a head so the parser, not the timeout, has to deal with it.
            bytes = [.. bytes, .. "\r\n\r\n"u8];
        }

        return ("random bytes", bytes, new Expect { MaxHandled = 0 });
    }

    private static (string, byte[], Expect) Folding(Random rng)
    {
        string fold = rng.Next(2) == 0 ? " " : "\t";
        string wire = rng.Next(2) == 0
            ? $"GET /read HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n{fold}b\r\n\r\n"
            : $"POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n{fold}0\r\n\r\nhello";
        return ("obsolete line folding", Bytes(wire), new Expect { Statuses = [400], MaxHandled = 0 });
    }

    /// <summary>A valid request cut at a random point: the client half-closes (nothing or 400) or stalls (408 or the timeout's close).</summary>
    private static (string, byte[], Expect) Truncated(Random rng)
    {
        Req r = ValidRequest(rng, allowClose: false);
        byte[] whole = Bytes(r.Wire);
        int cut = rng.Next(1, whole.Length);
        return ($"truncated at {cut} of {whole.Length}", whole[..cut], new Expect { MaxHandled = 1, NoBodyDelivered = r.Body is { Length: > 0 } && cut < whole.Length });
    }

    private static (string, byte[], Expect) Smuggling(Random rng)
    {
        return rng.Next(6) switch
        {
            0 => ("CL.TE smuggle", Bytes("POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 13\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nSMUGGLED"), new Expect { Statuses = [400], MaxHandled = 0 }),
            1 => ("TE.CL smuggle", Bytes("POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n"), new Expect { Statuses = [400], MaxHandled = 0 }),
            2 => ("TE with vertical tab", Bytes("POST /read HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\u000Bchunked\r\n\r\n0\r\n\r\n"), new Expect { Statuses = [400], MaxHandled = 0 }),
            3 => ("CL, CL equal", Bytes("POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello"), new Expect { Statuses = [200], Requests = [("/read", "hello")] }),
            4 => ("chunk size overflow", Bytes("POST /read HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000005\r\nhello\r\n0\r\n\r\n"), new Expect { Statuses = [400], NoBodyDelivered = true, MaxHandled = 1 }),
            _ => ("header name with a space", Bytes("GET /read HTTP/1.1\r\nHost: x\r\nContent Length: 5\r\n\r\n"), new Expect { Statuses = [400], MaxHandled = 0 }),
        };
    }
}
