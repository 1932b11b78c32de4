using System.Runtime.CompilerServices;

namespace GeventSharp.Http;

/// <summary>The start of a request: its head read and parsed, the request and its response made, the handler started.</summary>
internal sealed partial class HttpConnection
{
    /// <summary>
    /// Reads one request and starts its handler (its task in <see cref="HttpExchange.Handling"/>, its response in
    /// <see cref="HttpExchange.Response"/>); false when the connection should close (the client left, or a bad
    /// request was answered).
    /// </summary>
    /// <remarks>Not an async method on the usual path: a head read at once, a valid request.</remarks>
    private ValueTask<bool> StartOneAsync()
    {
        X.Head = null;
        ValueTask<RequestHead?> read;
        try
        {
            read = ReadHeadAsync();
        }
        catch (Exception e)
        {
            read = ValueTask.FromException<RequestHead?>(e); // a malformed head: answered by the general path
        }

        RequestHead? head = read.IsCompletedSuccessfully ? read.GetAwaiter().GetResult() : null;
        if (!read.IsCompletedSuccessfully)
        {
            return StartOneSlowAsync(read);
        }

        EndHeadWaits();
        if (head is null)
        {
            return new ValueTask<bool>(false); // closed by the client between requests (or mid-head: nothing to answer)
        }

        return StartHandler(head.Value);
    }

    /// <summary><see cref="StartOneAsync"/> for a head that is still being read, or could not be (answered here).</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> StartOneSlowAsync(ValueTask<RequestHead?> read)
    {
        RequestHead? head;
        try
        {
            head = await read; // with the context, as a stream's operation is (a head that takes several reads: rare)
        }
        catch (Exception e) when (Caused(e))
        {
            if (X.Input.Count > 0)
            {
                await SendErrorAsync(HttpRejection.Create(RejectReason.HeadTimedOut)).ConfigureAwait(false);
            }

            return false;
        }
        catch (HttpBadRequestException e)
        {
            await SendErrorAsync(e).ConfigureAwait(false);
            return false;
        }
        finally
        {
            EndHeadWaits();
        }

        if (head is null)
        {
            return false; // closed by the client between requests (or mid-head: nothing to answer)
        }

        return await StartHandler(head.Value).ConfigureAwait(false);
    }

    /// <summary>The wait for a head is over, whichever way it ended.</summary>
    private void EndHeadWaits()
    {
        X.Stall.EndKeepAlive();
        X.Stall.EndHead();
        Idle = false;
    }

    /// <summary>Starts the request of a parsed head and its handler; false if the request was refused (answered, the connection closes).</summary>
    private ValueTask<bool> StartHandler(RequestHead head)
    {
        HttpRequest request;
        try
        {
            request = StartRequest(head);
        }
        catch (HttpBadRequestException e)
        {
            return RejectAsync(e);
        }

        var response = new HttpResponse(this);
        if (RequestTelemetry.Listening)
        {
            (X.Telemetry ??= new RequestTelemetry(_server, _server.Options.Certificate is not null)).Start(request, response);
        }

        bool http11 = request.Version == "HTTP/1.1";
        HttpHeaders headers = request.Headers;
        bool connection = head.Known.MayHave(KnownField.Connection);
        X.Writer.Begin(response, headOnly: request.Method == "HEAD", http10: !http11,
            keepAlive: http11 ? !(connection && headers.ContainsToken("Connection", "close")) : connection && headers.ContainsToken("Connection", "keep-alive"));
        X.Response = response;
        try
        {
            X.Handling = _server.Handler(request, response); // the handler keeps the request as long as it needs it; this loop need not
        }
        catch (Exception e)
        {
            X.Handling = Task.FromException(e); // thrown before its first await: FinishOneAsync handles it as a failed task
        }

        return new ValueTask<bool>(true);
    }

    /// <summary>Answers a request refused after its head was read; false: the connection closes.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> RejectAsync(HttpBadRequestException rejection)
    {
        await SendErrorAsync(rejection).ConfigureAwait(false);
        return false;
    }

    /// <summary>
    /// Reads until a whole head is buffered and parses it; null at the end of the stream. Until the
    /// first byte the wait is held to the keep-alive timeout; from there to the head's end, to the
    /// request-headers timeout (as Kestrel's: a head that arrives in one read is never timed).
    /// </summary>
    /// <remarks>Not an async method on the usual path: the whole head comes in the first read, which completes at once.</remarks>
    private ValueTask<RequestHead?> ReadHeadAsync()
    {
        if (X.Input.Count == 0)
        {
            ValueTask<int> fill = X.Input.FillAsync(_server.Options.MaxRequestHeadSize + 4, guarded: false, keepAlive: true);
            int n = fill.IsCompleted ? fill.GetAwaiter().GetResult() : -1;
            if (n < 0)
            {
                return ReadHeadSlowAsync(fill, waiting: true);
            }

            X.Stall.EndKeepAlive();
            if (n == 0)
            {
                return new ValueTask<RequestHead?>((RequestHead?)null);
            }
        }

        bool complete = HttpRequestParser.TryParse(X.Input.Buffered, _server.HeadLimits, out int consumed, out RequestHead head, _server.RecentStrings);
        X.Input.Consume(consumed);
        return complete ? new ValueTask<RequestHead?>(head) : ReadHeadSlowAsync(default, waiting: false);
    }

    /// <summary><see cref="ReadHeadAsync"/> for a head that takes more than one read (or whose first read has to wait: <paramref name="waiting"/>).</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<RequestHead?> ReadHeadSlowAsync(ValueTask<int> firstFill, bool waiting)
    {
        if (waiting)
        {
            int n = await firstFill; // with the context, as a stream's operation is (the stream said it was readable: rare)
            X.Stall.EndKeepAlive();
            if (n == 0)
            {
                return null;
            }
        }

        bool started = false;
        while (true)
        {
            // Nothing buffered yet (the usual start of a request: the buffer was just rented): nothing to parse or check.
            if (X.Input.Count > 0)
            {
                bool complete = HttpRequestParser.TryParse(X.Input.Buffered, _server.HeadLimits, out int consumed, out RequestHead head, _server.RecentStrings);
                X.Input.Consume(consumed);
                if (complete)
                {
                    return head;
                }
            }

            if (!started && X.Input.Count > 0)
            {
                started = true;
                X.Stall.StartHead();
            }

            // Before the head's first byte the wait is held to the keep-alive deadline, armed by FillAsync
            // only if the read has to wait (ended here, or by EndHeadWaits).
            int n = await X.Input.FillAsync(_server.Options.MaxRequestHeadSize + 4, guarded: false, keepAlive: !started).ConfigureAwait(false);
            X.Stall.EndKeepAlive();
            if (n == 0)
            {
                return null;
            }
        }
    }

    /// <summary>Sets up the body's framing for a parsed head.</summary>
    private HttpRequest StartRequest(RequestHead head)
    {
        X.Head = head;
        X.RequestStart = _server.Log?.RequestStarted() ?? 0;
        X.Body.End();
        X.WebSocket = null;
        bool http11 = head.Version == "HTTP/1.1";
        string? host = RequestHost.Resolve(head.Target, http11, head.Headers, head.Known);
        X.Stall.StartBody();
        X.Body = RequestBodyReader.Open(head.Headers, http11, _server.Options, X.Input, X.Writer, X.Stall, out long? contentLength, head.Known);
        return X.Request = new HttpRequest(head.Method, head.Target, head.Version, head.Headers, host, X.Body, contentLength, this);
    }
}
