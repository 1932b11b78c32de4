namespace GeventSharp.Samples.Chat;

/// <summary>
/// Background work that survives its errors: a loop body that throws is reported, then run again
/// after a back-off that doubles up to a ceiling; the first success after failures is reported too.
/// </summary>
internal static class Supervisor
{
    /// <summary>
    /// Spawns a greenlet that runs <paramref name="body"/> again and again, <paramref name="every"/>
    /// apart (the body may wait on its own with <see cref="TimeSpan.Zero"/>). Kill it to stop.
    /// </summary>
    public static Greenlet Start(string name, Func<Task> body, TimeSpan every, TimeSpan maxBackoff, Action<string> log)
    {
        Greenlet g = Gevent.Spawn(async Task () =>
        {
            TimeSpan backoff = TimeSpan.Zero;
            int failures = 0;
            while (true)
            {
                try
                {
                    await body();
                    if (failures > 0)
                    {
                        log($"{name} recovered after {failures} failed attempt(s)");
                    }

                    failures = 0;
                    backoff = TimeSpan.Zero;
                    if (every > TimeSpan.Zero)
                    {
                        await Gevent.Sleep(every);
                    }
                }
                #pragma warning disable GS0004 // a Timeout raised by the body's own timeouts (a store call that took too long) is a failure to retry; nothing times the supervisor itself out, and a kill goes through
                catch (Exception e) when (e is not GreenletExit)
                #pragma warning restore GS0004
                {
                    failures++;
                    backoff = backoff == TimeSpan.Zero ? TimeSpan.FromMilliseconds(100) : TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, maxBackoff.Ticks));
                    if (failures == 1 || failures % 20 == 0)
                    {
                        log($"{name} failed ({e.GetType().Name}: {e.Message}); retrying, every {backoff.TotalSeconds:0.#} s at most");
                    }

                    await Gevent.Sleep(backoff);
                }
            }
        });
        g.Name = name;
        return g;
    }
}
