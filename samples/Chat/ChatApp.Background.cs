namespace GeventSharp.Samples.Chat;

/// <summary>The background work: the follower (brings each room's window up to date) and the janitor (renews names and presence, forgets who left, beats the heart).</summary>
public sealed partial class ChatApp
{
    private readonly Event _sweepNow = new();
    private DateTimeOffset _lastHeartbeat;

    private void Changed(string room)
    {
        _dirty.Add(room);
        _wake.Set();
    }

    private void Restored()
    {
        _options.Log("the store is reachable again: catching up and renewing names");
        foreach (string room in _logs.Keys)
        {
            _dirty.Add(room);
        }

        _wake.Set();
        _sweepNow.Set();
    }

    /// <summary>The follower's round: bring the windows of rooms that changed up to date (every window, every second, with a shared store, whose notices can be lost).</summary>
    private async Task FollowAsync()
    {
        bool woken = await _wake.WaitAsync(_store is LocalChatStore ? null : TimeSpan.FromSeconds(1));
        _wake.Clear();
        List<RoomLog> rooms = woken ? _dirty.Select(r => _logs.GetValueOrDefault(r)).OfType<RoomLog>().ToList() : _logs.Values.ToList();
        _dirty.Clear();
        for (int i = 0; i < rooms.Count; i++)
        {
            try
            {
                await SyncAsync(rooms[i]);
            }
            catch
            {
                foreach (RoomLog left in rooms.Skip(i))
                {
                    _dirty.Add(left.Name);
                }

                _wake.Set();
                throw;
            }
        }
    }

    private async ValueTask SyncAsync(RoomLog log)
    {
        using LockScope _ = await log.Syncing.AcquireScopeAsync();
        while (true)
        {
            if (!log.Loaded)
            {
                (string epoch, IReadOnlyList<ChatMessage> recent) = await _store.LastAsync(log.Name, _options.WindowSize + 1);
                log.Load(epoch, recent, recent.Count <= _options.WindowSize);
                return;
            }

            (string now, IReadOnlyList<ChatMessage> next) = await _store.AfterAsync(log.Name, log.LastId, 500);
            if (now != log.Epoch)
            {
                _options.Log($"room {log.Name}: the store's sequence is new (epoch {now}); clients start again");
                log.Unload();
                continue;
            }

            foreach (ChatMessage m in next)
            {
                log.Add(m);
            }

            if (next.Count < 500)
            {
                return;
            }
        }
    }

    /// <summary>The janitor's round: renew names and presence of people here, forget who left, write leave notices.</summary>
    private async Task SweepAsync()
    {
        await _sweepNow.WaitAsync(_options.JanitorInterval);
        _sweepNow.Clear();
        DateTimeOffset now = Now;
        var renew = new List<(string Key, Holder Holder)>();
        foreach ((string key, Holder h) in _holders.ToList())
        {
            if (h.Connections == 0 && now - h.LastSeen > _options.IdleTimeout)
            {
                _holders.Remove(key);
                await _store.ReleaseNameAsync(key, h.Token);
            }
            else
            {
                renew.Add((key, h));
            }
        }

        // Every claim and every presence in one round trip each (per room), not one per member.
        IReadOnlyList<int> taken = await _store.RenewNamesAsync(renew.Select(r => (r.Key, r.Holder.Token)).ToList(), _options.IdleTimeout);
        foreach (int i in taken)
        {
            (string key, Holder h) = renew[i];
            _options.Log($"the name {h.Name} was taken by another session while its holder here could not renew it");
            if (_holders.GetValueOrDefault(key) == h)
            {
                _holders.Remove(key);
            }
        }

        foreach ((_, Holder h) in renew)
        {
            h.Renewed = now;
        }

        var present = new Dictionary<string, List<string>>();
        foreach (((string room, string uid), Presence p) in _presence.ToList())
        {
            if (p.Connections == 0 && now - p.LastSeen >= _options.PresenceGrace)
            {
                _presence.Remove((room, uid));
            }
            else
            {
                if (!present.TryGetValue(room, out List<string>? uids))
                {
                    present[room] = uids = new List<string>();
                }

                uids.Add(uid);
            }
        }

        foreach ((string room, List<string> uids) in present)
        {
            await _store.TouchAllAsync(room, uids, PresenceLease);
        }

        foreach (string room in _knownRooms.ToList())
        {
            IReadOnlyList<string> gone = await _store.ExpireAsync(room);
            if (gone.Count > 0 && (await _store.OnlineAsync(room, 1)).Count < _options.NoticeLimit)
            {
                foreach (string uid in gone)
                {
                    await _store.AppendAsync(room, ChatMessage.Left, uid, "", null, null);
                }
            }
        }

        if (_lastHeartbeat == default)
        {
            _lastHeartbeat = now;
        }
        else if (now - _lastHeartbeat >= _options.HeartbeatInterval)
        {
            _lastHeartbeat = now;
            foreach (RoomLog log in _logs.Values)
            {
                log.Heartbeat();
            }
        }

        _putsPerSession.Prune(now);
        _putsPerAddress.Prune(now);
        _claimsPerAddress.Prune(now);
    }
}
