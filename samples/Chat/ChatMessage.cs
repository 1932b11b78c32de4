using System.Text.Json;
using System.Text.Json.Serialization;

namespace GeventSharp.Samples.Chat;

/// <summary>
/// One entry of a room's sequence: a message (<see cref="Kind"/> <c>msg</c>) or a notice that
/// someone came (<c>join</c>) or left (<c>leave</c>). <see cref="Id"/> increases within a room:
/// a client that has seen id <c>n</c> asks for what comes after <c>n</c>, which is how every
/// connection gets every message and a reconnect neither loses nor repeats one.
/// </summary>
/// <param name="Id">Its place in the room's sequence (ids only grow; there may be gaps).</param>
/// <param name="Kind"><c>msg</c>, <c>join</c> or <c>leave</c>.</param>
/// <param name="Uid">Who said it (or came, or left).</param>
/// <param name="Text">What was said (empty for a notice).</param>
/// <param name="At">When it was stored, in Unix milliseconds.</param>
public sealed record ChatMessage(long Id, string Kind, string Uid, string Text, long At)
{
    /// <summary>The kind of an ordinary message.</summary>
    public const string Said = "msg";

    /// <summary>The kind of a notice that <see cref="Uid"/> came into the room.</summary>
    public const string Joined = "join";

    /// <summary>The kind of a notice that <see cref="Uid"/> left the room.</summary>
    public const string Left = "leave";

    /// <summary>minichat's line: <c>uid:message</c> (a notice reads <c>uid joined</c> / <c>uid left</c>).</summary>
    [JsonIgnore]
    public string Line => Kind switch
    {
        Joined => Uid + " joined",
        Left => Uid + " left",
        _ => Uid + ":" + Text,
    };

    /// <summary>How messages travel as JSON (camelCase).</summary>
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
}

/// <summary>
/// This process's window on one room's sequence: its recent messages in id order, and an event
/// every waiting connection (poll or WebSocket) wakes on when something is added. Memory is the
/// window, whatever the number of members; nobody has a queue of their own.
/// </summary>
internal sealed class RoomLog(string name, int capacity)
{
    private readonly List<ChatMessage> _window = new();
    private Event _changed = new();

    public string Name { get; } = name;

    /// <summary>Which sequence the ids belong to; a store that lost its data starts a new epoch.</summary>
    public string Epoch { get; private set; } = "";

    /// <summary>The newest id here (0: none yet).</summary>
    public long LastId { get; private set; }

    /// <summary>Every message with an id above this one is in the window (older ones only in the store).</summary>
    public long CoveredAfter { get; private set; }

    /// <summary>Whether the window has been filled from the store.</summary>
    public bool Loaded { get; private set; }

    /// <summary>Set (and replaced) whenever the window changes; capture it before looking, then wait on it.</summary>
    public Event Changed => _changed;

    public int Count => _window.Count;

    /// <summary>Held while the window is brought up to date, so two syncs never interleave.</summary>
    public Semaphore Syncing { get; } = new(1);

    /// <summary>
    /// The WebSocket payload of the messages after <c>After</c> up to <c>Last</c>, serialised by
    /// the first member that needed it: every other member that was up to date sends the same
    /// bytes (valid while <c>Last</c> is <see cref="LastId"/>; dropped with the epoch).
    /// </summary>
    public (long After, long Last, byte[] Bytes)? Frame { get; set; }

    /// <summary>Counts heartbeats (<see cref="Heartbeat"/>): a member that wakes to a new count with nothing new sends a ping.</summary>
    public long Beats { get; private set; }

    /// <summary>Wakes every member so each sends a small frame (one timer for the process instead of one per WebSocket).</summary>
    public void Heartbeat()
    {
        Beats++;
        Signal();
    }

    /// <summary>Forgets the window (the store's sequence changed under it); the next sync loads it again.</summary>
    public void Unload()
    {
        Frame = null;
        _window.Clear();
        LastId = 0;
        CoveredAfter = 0;
        Loaded = false;
    }

    /// <summary>Fills the window with the store's newest messages (<paramref name="recent"/>, oldest first; one more than fits tells where coverage starts).</summary>
    public void Load(string epoch, IReadOnlyList<ChatMessage> recent, bool complete)
    {
        Frame = null;
        _window.Clear();
        Epoch = epoch;
        CoveredAfter = complete || recent.Count == 0 ? 0 : recent[0].Id;
        foreach (ChatMessage m in complete ? recent : recent.Skip(1))
        {
            _window.Add(m);
        }

        LastId = recent.Count > 0 ? recent[^1].Id : 0;
        Loaded = true;
        Signal();
    }

    /// <summary>Adds the next message of the sequence; one already here (or older) is ignored.</summary>
    public bool Add(ChatMessage message)
    {
        if (message.Id <= LastId)
        {
            return false;
        }

        _window.Add(message);
        LastId = message.Id;
        if (_window.Count > capacity * 2)
        {
            int drop = _window.Count - capacity;
            CoveredAfter = _window[drop - 1].Id;
            _window.RemoveRange(0, drop);
        }

        Signal();
        return true;
    }

    /// <summary>
    /// The messages after <paramref name="after"/> (at most <paramref name="max"/>, oldest first),
    /// or null when <paramref name="after"/> is older than the window (ask the store).
    /// </summary>
    public List<ChatMessage>? After(long after, int max)
    {
        if (after < CoveredAfter)
        {
            return null;
        }

        int lo = 0, hi = _window.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) / 2;
            if (_window[mid].Id <= after)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return _window.GetRange(lo, Math.Min(max, _window.Count - lo));
    }

    /// <summary>The newest <paramref name="count"/> messages, oldest first.</summary>
    public List<ChatMessage> Last(int count) => _window.GetRange(Math.Max(0, _window.Count - count), Math.Min(count, _window.Count));

    /// <summary>Wakes every connection waiting on the room (a new message, a reset, a shutdown).</summary>
    public void Signal()
    {
        Event changed = _changed;
        _changed = new Event();
        changed.Set();
    }
}
