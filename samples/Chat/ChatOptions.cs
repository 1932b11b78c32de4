namespace GeventSharp.Samples.Chat;

/// <summary>Settings of a <see cref="ChatApp"/>; where minichat had a value, the default is minichat's.</summary>
public sealed record ChatOptions
{
    /// <summary>The rooms that always exist (minichat: python and django); users can make more.</summary>
    public IReadOnlyList<string> Rooms { get; init; } = ["python", "django"];

    /// <summary>How many rooms users may make, in all.</summary>
    public int MaxRooms { get; init; } = 200;

    /// <summary>How long a poll waits for a message before answering an empty list (minichat: 10 s).</summary>
    public TimeSpan PollTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How many recent messages joining shows (minichat: 25); older ones load on request.</summary>
    public int BacklogSize { get; init; } = 25;

    /// <summary>Messages of each room this process keeps in memory, for every connection to read from.</summary>
    public int WindowSize { get; init; } = 1000;

    /// <summary>The longest message, in characters.</summary>
    public int MaxMessageLength { get; init; } = 1000;

    /// <summary>A name whose holder has had no connection for this long is free again.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long someone stays "in the room" after their last connection closed (a reload is not a leave).</summary>
    public TimeSpan PresenceGrace { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How often the janitor renews names and presence, and forgets who left.</summary>
    public TimeSpan JanitorInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How often the janitor wakes every open WebSocket to send a small frame, so that proxies keep idle ones open (one timer for the process, none per WebSocket).</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Join and leave notices are written only while the room has at most this many people (a crowd's comings and goings are noise).</summary>
    public int NoticeLimit { get; init; } = 50;

    /// <summary>The largest body <c>POST /put</c> reads (a 1,000-character message, percent-encoded, fits).</summary>
    public int PutBodyLimit { get; init; } = 16 * 1024;

    /// <summary>The largest body <c>POST /poll</c> reads.</summary>
    public int PollBodyLimit { get; init; } = 1024;

    /// <summary>Puts per session: at most this many at once...</summary>
    public double PutBurst { get; init; } = 10;

    /// <summary>...then this many a second.</summary>
    public double PutsPerSecond { get; init; } = 2;

    /// <summary>Puts per client address: at most this many at once...</summary>
    public double AddressPutBurst { get; init; } = 40;

    /// <summary>...then this many a second.</summary>
    public double AddressPutsPerSecond { get; init; } = 10;

    /// <summary>New names (and rooms) per client address: at most this many at once...</summary>
    public double ClaimBurst { get; init; } = 10;

    /// <summary>...then this many a second.</summary>
    public double ClaimsPerSecond { get; init; } = 0.2;

    /// <summary>Open polls and WebSockets per client address.</summary>
    public int MaxConnectionsPerAddress { get; init; } = 200;

    /// <summary>Served over HTTPS (directly or by a proxy): cookies are <c>Secure</c> and the expected origin is <c>https://</c>.</summary>
    public bool Https { get; init; }

    /// <summary>Origins besides the chat's own that may post and connect (e.g. the public address behind a proxy).</summary>
    public IReadOnlyList<string> AllowedOrigins { get; init; } = [];

    /// <summary>Where background loops report their failures and recoveries.</summary>
    public Action<string> Log { get; init; } = message => Console.Error.WriteLine($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} chat: {message}");
}
