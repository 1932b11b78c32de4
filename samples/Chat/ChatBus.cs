using StackExchange.Redis;

namespace GeventSharp.Samples.Chat;

/// <summary>
/// How a message reaches the members of a room: within this process (<see cref="LocalChatBus"/>),
/// or through Redis to every process serving the chat (<see cref="RedisChatBus"/>).
/// </summary>
public interface IChatBus
{
    /// <summary>Sends <paramref name="line"/> to every member of <paramref name="room"/>, in every process on the bus.</summary>
    ValueTask PublishAsync(string room, string line);

    /// <summary>
    /// Starts delivering published lines to <paramref name="deliver"/>, always on the hub of the
    /// calling greenlet and in the order they were published.
    /// </summary>
    ValueTask SubscribeAsync(Action<string, string> deliver);

    /// <summary>
    /// Claims the name <paramref name="uid"/> for the session <paramref name="token"/> in every
    /// process on the bus, for <paramref name="ttl"/>; claiming again with the same token renews
    /// it. False if another session holds it.
    /// </summary>
    ValueTask<bool> ClaimNameAsync(string uid, string token, TimeSpan ttl);

    /// <summary>Gives the name up, if <paramref name="token"/> still holds it.</summary>
    ValueTask ReleaseNameAsync(string uid, string token);
}

/// <summary>One process: a published line is delivered at once, on the hub.</summary>
public sealed class LocalChatBus : IChatBus
{
    private Action<string, string>? _deliver;

    /// <inheritdoc/>
    public ValueTask PublishAsync(string room, string line)
    {
        _deliver?.Invoke(room, line);
        return default;
    }

    /// <inheritdoc/>
    public ValueTask SubscribeAsync(Action<string, string> deliver)
    {
        _deliver = deliver;
        return default;
    }

    /// <inheritdoc/>
    /// <remarks>One process: the app's own table of names decides, so every claim succeeds here.</remarks>
    public ValueTask<bool> ClaimNameAsync(string uid, string token, TimeSpan ttl) => new(true);

    /// <inheritdoc/>
    public ValueTask ReleaseNameAsync(string uid, string token) => default;
}

/// <summary>
/// Several processes (or hubs) serving one chat: lines go through Redis pub/sub, one channel per
/// room, and the history is a Redis list per room (<see cref="History"/>), so a member joining on
/// any process sees the same backlog.
/// </summary>
/// <remarks>
/// StackExchange.Redis calls back on its own threads; each line is handed to the hub with
/// <see cref="Hub.Post(Action)"/>, so rooms and queues are only ever touched by the hub thread.
/// A name is claimed in Redis (<c>SET NX</c> with an expiry the owner's process renews), so no two
/// processes give it to different browsers. Sessions stay with the process that issued them: put
/// a sticky load balancer in front (a browser keeps talking to the process where it took its name).
/// </remarks>
public sealed class RedisChatBus : IChatBus, IAsyncDisposable
{
    private readonly ConnectionMultiplexer _redis;
    private readonly string _prefix;
    private ChannelMessageQueue? _queue;

    private RedisChatBus(ConnectionMultiplexer redis, string prefix)
    {
        _redis = redis;
        _prefix = prefix;
        History = new RedisChatHistory(redis.GetDatabase(), prefix);
    }

    /// <summary>The rooms' history, shared by every process on this Redis.</summary>
    public IChatHistory History { get; }

    /// <summary>Connects to Redis (<paramref name="configuration"/>: <c>host:port</c> or a StackExchange.Redis configuration string).</summary>
    public static async Task<RedisChatBus> ConnectAsync(string configuration, string prefix = "chat")
        => new(await ConnectionMultiplexer.ConnectAsync(configuration), prefix);

    /// <inheritdoc/>
    public async ValueTask PublishAsync(string room, string line)
        => await _redis.GetSubscriber().PublishAsync(RedisChannel.Literal($"{_prefix}:room:{room}"), line);

    /// <inheritdoc/>
    public async ValueTask SubscribeAsync(Action<string, string> deliver)
    {
        Hub hub = Hub.Current ?? throw new InvalidOperationException("Subscribe from a greenlet: lines are delivered on its hub.");
        string channelPrefix = $"{_prefix}:room:";
        _queue = await _redis.GetSubscriber().SubscribeAsync(RedisChannel.Pattern(channelPrefix + "*"));
        _queue.OnMessage(m =>
        {
            string room = m.Channel.ToString()[channelPrefix.Length..];
            string line = m.Message.ToString();
            hub.Post(() => deliver(room, line)); // in order: OnMessage handles one message at a time
        });
    }

    /// <inheritdoc/>
    public async ValueTask<bool> ClaimNameAsync(string uid, string token, TimeSpan ttl)
    {
        IDatabase db = _redis.GetDatabase();
        string key = $"{_prefix}:name:{uid}";
        if (await db.StringSetAsync(key, token, ttl, When.NotExists))
        {
            return true;
        }

        // Held: renew it if it is ours (compare and expire in one step).
        RedisResult renewed = await db.ScriptEvaluateAsync(
            "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end",
            [key],
            [token, (long)ttl.TotalMilliseconds]);
        return (long)renewed == 1;
    }

    /// <inheritdoc/>
    public async ValueTask ReleaseNameAsync(string uid, string token)
        => await _redis.GetDatabase().ScriptEvaluateAsync(
            "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end",
            [$"{_prefix}:name:{uid}"],
            [token]);

    /// <summary>Unsubscribes and disconnects.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_queue is not null)
        {
            await _queue.UnsubscribeAsync();
        }

        await _redis.CloseAsync();
        _redis.Dispose();
    }
}

/// <summary>History in a Redis list per room (the newest <c>limit</c> lines).</summary>
public sealed class RedisChatHistory(IDatabase redis, string prefix = "chat", int limit = 1000) : IChatHistory
{
    /// <inheritdoc/>
    public async ValueTask AppendAsync(string room, string line)
    {
        string key = $"{prefix}:history:{room}";
        await redis.ListRightPushAsync(key, line);
        await redis.ListTrimAsync(key, -limit, -1);
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<string>> LastAsync(string room, int count)
        => (await redis.ListRangeAsync($"{prefix}:history:{room}", -count, -1)).Select(v => v.ToString()).ToList();
}
