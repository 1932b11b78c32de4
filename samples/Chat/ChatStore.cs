using System.Security.Cryptography;

namespace GeventSharp.Samples.Chat;

/// <summary>What a name claim came to.</summary>
public enum ClaimResult
{
    /// <summary>The name was free and is now held by the session.</summary>
    Claimed,

    /// <summary>The session already held it; the lease is renewed.</summary>
    Renewed,

    /// <summary>Another session holds it.</summary>
    Taken,
}

/// <summary>
/// Everything the chat's processes share: each room's sequence, who holds which name, who is in
/// which room, the rooms, the key that signs CSRF tokens. <see cref="LocalChatStore"/> is one
/// process; <see cref="RedisChatStore"/> is every process on one Redis, so any of them serves any
/// user (no sticky balancer).
/// </summary>
/// <remarks>
/// Every method may throw when the store is unreachable (Redis down); the app answers 503 then.
/// </remarks>
public interface IChatStore
{
    /// <summary>
    /// Appends a message to the room's sequence. With <paramref name="token"/>, only if that
    /// session holds <paramref name="nameKey"/> (checked in the same step as the append): null if not.
    /// </summary>
    ValueTask<ChatMessage?> AppendAsync(string room, string kind, string uid, string text, string? nameKey, string? token);

    /// <summary>The sequence's epoch and its newest <paramref name="count"/> messages, oldest first.</summary>
    ValueTask<(string Epoch, IReadOnlyList<ChatMessage> Messages)> LastAsync(string room, int count);

    /// <summary>The sequence's epoch and up to <paramref name="count"/> messages after <paramref name="after"/>, oldest first.</summary>
    ValueTask<(string Epoch, IReadOnlyList<ChatMessage> Messages)> AfterAsync(string room, long after, int count);

    /// <summary>Up to <paramref name="count"/> messages before <paramref name="before"/>, oldest first.</summary>
    ValueTask<IReadOnlyList<ChatMessage>> BeforeAsync(string room, long before, int count);

    /// <summary>Claims (or renews) <paramref name="nameKey"/> for the session <paramref name="token"/> for <paramref name="lease"/>.</summary>
    ValueTask<ClaimResult> ClaimNameAsync(string nameKey, string token, TimeSpan lease);

    /// <summary>Gives the name up, if <paramref name="token"/> still holds it.</summary>
    ValueTask ReleaseNameAsync(string nameKey, string token);

    /// <summary>Marks <paramref name="uid"/> present in <paramref name="room"/> for <paramref name="lease"/>; true if they were not.</summary>
    ValueTask<bool> TouchAsync(string room, string uid, TimeSpan lease);

    /// <summary>
    /// Renews (or claims again) every name of <paramref name="names"/> for its session, for
    /// <paramref name="lease"/>; the indexes of those another session holds. A store on the network
    /// does it in one round trip, so the janitor's cost does not grow with a round trip per member.
    /// </summary>
    async ValueTask<IReadOnlyList<int>> RenewNamesAsync(IReadOnlyList<(string NameKey, string Token)> names, TimeSpan lease)
    {
        var taken = new List<int>();
        for (int i = 0; i < names.Count; i++)
        {
            if (await ClaimNameAsync(names[i].NameKey, names[i].Token, lease) == ClaimResult.Taken)
            {
                taken.Add(i);
            }
        }

        return taken;
    }

    /// <summary>Marks every one of <paramref name="uids"/> present in <paramref name="room"/> for <paramref name="lease"/> (one round trip on a network store).</summary>
    async ValueTask TouchAllAsync(string room, IReadOnlyList<string> uids, TimeSpan lease)
    {
        foreach (string uid in uids)
        {
            await TouchAsync(room, uid, lease);
        }
    }

    /// <summary>Removes whoever's presence in <paramref name="room"/> ran out, and returns them (each to one caller only).</summary>
    ValueTask<IReadOnlyList<string>> ExpireAsync(string room);

    /// <summary>Who is in <paramref name="room"/> (at most <paramref name="max"/> names) and how many in all.</summary>
    ValueTask<(IReadOnlyList<string> Names, long Count)> OnlineAsync(string room, int max);

    /// <summary>Records a room (made by a user); false if there are <paramref name="max"/> rooms already.</summary>
    ValueTask<bool> AddRoomAsync(string room, int max);

    /// <summary>The rooms users made.</summary>
    ValueTask<IReadOnlyList<string>> RoomsAsync();

    /// <summary>The key CSRF tokens are signed with, the same in every process on the store.</summary>
    ValueTask<byte[]> SecretAsync();

    /// <summary>
    /// Calls <paramref name="changed"/> on the calling greenlet's hub with a room's name whenever
    /// something is appended to it (by any process), and <paramref name="restored"/> when the store
    /// comes back after being unreachable.
    /// </summary>
    ValueTask SubscribeAsync(Action<string> changed, Action restored);
}

/// <summary>One process: the sequences in an <see cref="IChatHistory"/>, names and presence in memory.</summary>
public sealed class LocalChatStore(IChatHistory history) : IChatStore
{
    private readonly Dictionary<string, (string Token, DateTimeOffset Until)> _names = new();
    private readonly Dictionary<string, Dictionary<string, DateTimeOffset>> _presence = new();
    private readonly HashSet<string> _rooms = new();
    private readonly byte[] _secret = RandomNumberGenerator.GetBytes(32);
    private Action<string>? _changed;

    /// <summary>Names held now (leases not run out).</summary>
    public int NameCount => _names.Count(n => n.Value.Until > Now);

    private static DateTimeOffset Now => Hub.Current!.TimeProvider.GetUtcNow();

    /// <inheritdoc/>
    public async ValueTask<ChatMessage?> AppendAsync(string room, string kind, string uid, string text, string? nameKey, string? token)
    {
        if (token is not null && (!_names.TryGetValue(nameKey!, out var holder) || holder.Token != token || holder.Until <= Now))
        {
            return null;
        }

        ChatMessage message = await history.AppendAsync(room, kind, uid, text, Now.ToUnixTimeMilliseconds());
        _changed?.Invoke(room);
        return message;
    }

    /// <inheritdoc/>
    public async ValueTask<(string Epoch, IReadOnlyList<ChatMessage> Messages)> LastAsync(string room, int count)
        => (history.Epoch, await history.LastAsync(room, count));

    /// <inheritdoc/>
    public async ValueTask<(string Epoch, IReadOnlyList<ChatMessage> Messages)> AfterAsync(string room, long after, int count)
        => (history.Epoch, await history.AfterAsync(room, after, count));

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<ChatMessage>> BeforeAsync(string room, long before, int count) => history.BeforeAsync(room, before, count);

    /// <inheritdoc/>
    public ValueTask<ClaimResult> ClaimNameAsync(string nameKey, string token, TimeSpan lease)
    {
        DateTimeOffset now = Now;
        if (_names.TryGetValue(nameKey, out var holder) && holder.Until > now && holder.Token != token)
        {
            return new(ClaimResult.Taken);
        }

        bool renewed = holder.Token == token && holder.Until > now;
        _names[nameKey] = (token, now + lease);
        return new(renewed ? ClaimResult.Renewed : ClaimResult.Claimed);
    }

    /// <inheritdoc/>
    public ValueTask ReleaseNameAsync(string nameKey, string token)
    {
        if (_names.TryGetValue(nameKey, out var holder) && holder.Token == token)
        {
            _names.Remove(nameKey);
        }

        return default;
    }

    /// <inheritdoc/>
    public ValueTask<bool> TouchAsync(string room, string uid, TimeSpan lease)
    {
        if (!_presence.TryGetValue(room, out Dictionary<string, DateTimeOffset>? here))
        {
            _presence[room] = here = new Dictionary<string, DateTimeOffset>();
        }

        bool fresh = !here.ContainsKey(uid);
        here[uid] = Now + lease;
        return new(fresh);
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<string>> ExpireAsync(string room)
    {
        if (!_presence.TryGetValue(room, out Dictionary<string, DateTimeOffset>? here))
        {
            return new([]);
        }

        DateTimeOffset now = Now;
        List<string> gone = here.Where(p => p.Value <= now).Select(p => p.Key).ToList();
        foreach (string uid in gone)
        {
            here.Remove(uid);
        }

        foreach (var name in _names.Where(n => n.Value.Until <= now).Select(n => n.Key).ToList())
        {
            _names.Remove(name);
        }

        return new(gone);
    }

    /// <inheritdoc/>
    public ValueTask<(IReadOnlyList<string> Names, long Count)> OnlineAsync(string room, int max)
    {
        DateTimeOffset now = Now;
        List<string> names = _presence.TryGetValue(room, out var here) ? here.Where(p => p.Value > now).Select(p => p.Key).Order(StringComparer.Ordinal).ToList() : [];
        return new((names.Take(max).ToList(), names.Count));
    }

    /// <inheritdoc/>
    public ValueTask<bool> AddRoomAsync(string room, int max)
    {
        if (_rooms.Contains(room))
        {
            return new(true);
        }

        if (_rooms.Count >= max)
        {
            return new(false);
        }

        _rooms.Add(room);
        return new(true);
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<string>> RoomsAsync() => _rooms.Union(await history.RoomsAsync()).Order(StringComparer.Ordinal).ToList();

    /// <inheritdoc/>
    public ValueTask<byte[]> SecretAsync() => new(_secret);

    /// <inheritdoc/>
    public ValueTask SubscribeAsync(Action<string> changed, Action restored)
    {
        _changed = changed;
        return default;
    }
}
