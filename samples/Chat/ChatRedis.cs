using System.Security.Cryptography;
using StackExchange.Redis;

namespace GeventSharp.Samples.Chat;

/// <summary>
/// Every process serving one chat, on one Redis. A room's sequence is a Redis stream whose entry
/// ids are the room's counter (<c>INCR</c> and <c>XADD</c> in one script), so every process serves
/// the same ids in the same order; name claims, presence, rooms and the CSRF key are Redis keys,
/// so any process serves any user.
/// </summary>
/// <remarks>
/// <para>StackExchange.Redis multiplexes one connection and does not offer blocking reads
/// (<c>XREAD BLOCK</c>), so an append also publishes the room's name on a channel; each process
/// then reads the stream after the last id it has (and rereads every second, so a notice lost
/// while the connection was down costs a second, never a message). Its callbacks run on its own
/// threads; each is handed to the hub with <see cref="Hub.Post(Action)"/>.</para>
/// <para>While Redis is unreachable every call fails at once (no queueing): the app answers 503
/// and its background loops retry; the connection comes back by itself. If Redis lost its data
/// (restarted without persistence), a new epoch begins and clients start the room again.</para>
/// </remarks>
public sealed class RedisChatStore : IChatStore, IAsyncDisposable
{
    private const string AppendScript = """
        if ARGV[1] ~= '' then
          local owner = redis.call('GET', KEYS[1])
          if owner ~= ARGV[1] then return -1 end
        end
        if redis.call('EXISTS', KEYS[4]) == 0 then redis.call('SET', KEYS[4], ARGV[2]) end
        local id = redis.call('INCR', KEYS[2])
        redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[3], id .. '-0', 'k', ARGV[4], 'u', ARGV[5], 't', ARGV[6], 'a', ARGV[7])
        redis.call('PUBLISH', ARGV[8], ARGV[9])
        return id
        """;

    private const string ReadScript = """
        if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('SET', KEYS[1], ARGV[1]) end
        local entries
        if ARGV[2] == 'last' then entries = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', ARGV[3])
        else entries = redis.call('XRANGE', KEYS[2], ARGV[2], '+', 'COUNT', ARGV[3]) end
        return {redis.call('GET', KEYS[1]), entries}
        """;

    private const string ClaimScript = """
        local owner = redis.call('GET', KEYS[1])
        if owner == false then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 0 end
        if owner == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
        return 2
        """;

    private const string RenewScript = """
        local taken = {}
        for i, key in ipairs(KEYS) do
          local owner = redis.call('GET', key)
          if owner == false then redis.call('SET', key, ARGV[i + 1], 'PX', ARGV[1])
          elseif owner == ARGV[i + 1] then redis.call('PEXPIRE', key, ARGV[1])
          else table.insert(taken, i - 1) end
        end
        return taken
        """;

    private const string ExpireScript = """
        local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
        local out = {}
        for _, m in ipairs(gone) do
          if redis.call('ZREM', KEYS[1], m) == 1 then table.insert(out, m) end
        end
        return out
        """;

    /// <summary>Names or members per call of the janitor's batched renewals (a script's run blocks Redis meanwhile).</summary>
    private const int Chunk = 1000;

    private readonly ConnectionMultiplexer _redis;
    private readonly IDatabase _db;
    private readonly string _prefix;
    private ChannelMessageQueue? _queue;

    private RedisChatStore(ConnectionMultiplexer redis, string prefix)
    {
        _redis = redis;
        _db = redis.GetDatabase();
        _prefix = prefix;
    }

    /// <summary>Entries kept per room stream (about; trimmed with <c>MAXLEN ~</c>).</summary>
    public int StreamLength { get; init; } = 10_000;

    /// <summary>
    /// Connects to Redis (<paramref name="configuration"/>: <c>host:port</c> or a StackExchange.Redis
    /// configuration string). Starts even if Redis is down; calls fail until it is up.
    /// </summary>
    public static async Task<RedisChatStore> ConnectAsync(string configuration, string prefix = "chat")
    {
        ConfigurationOptions options = ConfigurationOptions.Parse(configuration);
        options.AbortOnConnectFail = false;
        options.BacklogPolicy = BacklogPolicy.FailFast;
        options.ReconnectRetryPolicy = new LinearRetry(250);
        options.ConnectTimeout = 2000;
        options.AsyncTimeout = 2000;
        options.SyncTimeout = 2000;
        return new RedisChatStore(await ConnectionMultiplexer.ConnectAsync(options), prefix);
    }

    /// <summary>Whether Redis is reachable now.</summary>
    public bool IsConnected => _redis.IsConnected;

    /// <inheritdoc/>
    public async ValueTask<ChatMessage?> AppendAsync(string room, string kind, string uid, string text, string? nameKey, string? token)
    {
        long at = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        long id = (long)await _db.ScriptEvaluateAsync(
            AppendScript,
            [Key("name", nameKey ?? ""), Key("seq", room), Key("stream", room), Key("epoch")],
            [token ?? "", NewEpoch(), StreamLength, kind, uid, text, at, Notify, room]);
        return id < 0 ? null : new ChatMessage(id, kind, uid, text, at);
    }

    /// <inheritdoc/>
    public async ValueTask<(string Epoch, IReadOnlyList<ChatMessage> Messages)> LastAsync(string room, int count)
    {
        (string epoch, List<ChatMessage> messages) = await ReadAsync(room, "last", count);
        messages.Reverse();
        return (epoch, messages);
    }

    /// <inheritdoc/>
    public async ValueTask<(string Epoch, IReadOnlyList<ChatMessage> Messages)> AfterAsync(string room, long after, int count)
        => await ReadAsync(room, $"{after + 1}-0", count);

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<ChatMessage>> BeforeAsync(string room, long before, int count)
    {
        if (before <= 1)
        {
            return [];
        }

        StreamEntry[] entries = await _db.StreamRangeAsync(Key("stream", room), "-", $"{before - 1}-0", count, Order.Descending);
        return entries.Reverse().Select(Parse).ToList();
    }

    /// <inheritdoc/>
    public async ValueTask<ClaimResult> ClaimNameAsync(string nameKey, string token, TimeSpan lease)
        => (ClaimResult)(int)await _db.ScriptEvaluateAsync(ClaimScript, [Key("name", nameKey)], [token, (long)lease.TotalMilliseconds]);

    /// <inheritdoc/>
    public async ValueTask ReleaseNameAsync(string nameKey, string token)
        => await _db.ScriptEvaluateAsync(
            "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end",
            [Key("name", nameKey)],
            [token]);

    /// <inheritdoc/>
    public async ValueTask<bool> TouchAsync(string room, string uid, TimeSpan lease)
        => await _db.SortedSetAddAsync(Key("online", room), uid, (DateTimeOffset.UtcNow + lease).ToUnixTimeMilliseconds());

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<int>> RenewNamesAsync(IReadOnlyList<(string NameKey, string Token)> names, TimeSpan lease)
    {
        var taken = new List<int>();
        for (int start = 0; start < names.Count; start += Chunk)
        {
            int n = Math.Min(Chunk, names.Count - start);
            var keys = new RedisKey[n];
            var args = new RedisValue[n + 1];
            args[0] = (long)lease.TotalMilliseconds;
            for (int i = 0; i < n; i++)
            {
                keys[i] = Key("name", names[start + i].NameKey);
                args[i + 1] = names[start + i].Token;
            }

            foreach (RedisResult index in (RedisResult[])(await _db.ScriptEvaluateAsync(RenewScript, keys, args))!)
            {
                taken.Add(start + (int)index);
            }
        }

        return taken;
    }

    /// <inheritdoc/>
    public async ValueTask TouchAllAsync(string room, IReadOnlyList<string> uids, TimeSpan lease)
    {
        long until = (DateTimeOffset.UtcNow + lease).ToUnixTimeMilliseconds();
        foreach (string[] chunk in uids.Chunk(Chunk))
        {
            await _db.SortedSetAddAsync(Key("online", room), chunk.Select(u => new SortedSetEntry(u, until)).ToArray());
        }
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<string>> ExpireAsync(string room)
        => ((RedisResult[])(await _db.ScriptEvaluateAsync(ExpireScript, [Key("online", room)], [DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()]))!)
            .Select(r => r.ToString()).ToList();

    /// <inheritdoc/>
    public async ValueTask<(IReadOnlyList<string> Names, long Count)> OnlineAsync(string room, int max)
    {
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        RedisKey key = Key("online", room);
        RedisValue[] names = await _db.SortedSetRangeByScoreAsync(key, now, double.PositiveInfinity, Exclude.Start, take: max);
        long count = await _db.SortedSetLengthAsync(key, now, double.PositiveInfinity, Exclude.Start);
        return (names.Select(n => n.ToString()).Order(StringComparer.Ordinal).ToList(), count);
    }

    /// <inheritdoc/>
    public async ValueTask<bool> AddRoomAsync(string room, int max)
        => (long)await _db.ScriptEvaluateAsync(
            "if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 1 end if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end return redis.call('SADD', KEYS[1], ARGV[1])",
            [Key("rooms")],
            [room, max]) == 1;

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<string>> RoomsAsync()
        => (await _db.SetMembersAsync(Key("rooms"))).Select(r => r.ToString()).Order(StringComparer.Ordinal).ToList();

    /// <inheritdoc/>
    public async ValueTask<byte[]> SecretAsync()
    {
        await _db.StringSetAsync(Key("secret"), RandomNumberGenerator.GetBytes(32), when: When.NotExists);
        return (byte[])(await _db.StringGetAsync(Key("secret")))!;
    }

    /// <inheritdoc/>
    public async ValueTask SubscribeAsync(Action<string> changed, Action restored)
    {
        Hub hub = Hub.Current ?? throw new InvalidOperationException("Subscribe from a greenlet: notices are delivered on its hub.");
        _redis.ConnectionRestored += (_, _) => hub.Post(restored);
        _queue = await _redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal(Notify));
        _queue.OnMessage(m =>
        {
            string room = m.Message.ToString();
            hub.Post(() => changed(room));
        });
    }

    /// <summary>Unsubscribes and disconnects.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_queue is not null && _redis.IsConnected)
        {
            await _queue.UnsubscribeAsync();
        }

        await _redis.CloseAsync();
        _redis.Dispose();
    }

    private static ChatMessage Parse(StreamEntry e)
        => new(long.Parse(e.Id.ToString().Split('-')[0]), e["k"].ToString(), e["u"].ToString(), e["t"].ToString(), (long)e["a"]);

    private async Task<(string Epoch, List<ChatMessage> Messages)> ReadAsync(string room, string from, int count)
    {
        var result = (RedisResult[])(await _db.ScriptEvaluateAsync(ReadScript, [Key("epoch"), Key("stream", room)], [NewEpoch(), from, count]))!;
        var messages = new List<ChatMessage>();
        foreach (RedisResult entry in (RedisResult[])result[1]!)
        {
            var parts = (RedisResult[])entry!;
            var fields = (RedisResult[])parts[1]!;
            var map = new Dictionary<string, string>();
            for (int i = 0; i + 1 < fields.Length; i += 2)
            {
                map[fields[i].ToString()] = fields[i + 1].ToString();
            }

            messages.Add(new ChatMessage(long.Parse(parts[0].ToString().Split('-')[0]), map["k"], map["u"], map["t"], long.Parse(map["a"])));
        }

        return (result[0].ToString(), messages);
    }

    /// <summary>A fresh epoch for the scripts to set if Redis has none (it lost its data): never one used before.</summary>
    private static string NewEpoch() => Convert.ToHexString(RandomNumberGenerator.GetBytes(6)).ToLowerInvariant();

    private string Notify => _prefix + ":notify";

    private RedisKey Key(string kind, string name = "") => name.Length == 0 ? $"{_prefix}:{kind}" : $"{_prefix}:{kind}:{name}";
}
