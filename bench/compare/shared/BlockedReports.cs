// Shared by the GeventSharp bench servers (geventsharp/ echo, geventsharp-http/): hub options with
// the monitor on or off that count the blocked-hub reports of every hub of the group.
using GeventSharp;

internal sealed class BlockedReports
{
    private int _count;

    /// <summary>The count so far, printed on exit: the acceptance check "the monitor stays silent".</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Options for each hub: the monitor (100 ms) when asked for, reports counted, then handled as usual.</summary>
    public HubOptions HubOptions(bool monitor, PollerKind poller = PollerKind.Auto) => new()
    {
        Poller = poller,
        MonitorThreshold = monitor ? TimeSpan.FromMilliseconds(100) : null,
        ErrorHandler = (g, e) =>
        {
            if (e is HubBlockedException)
            {
                Interlocked.Increment(ref _count);
            }

            Hub.DefaultErrorHandler(g, e);
        },
    };
}
