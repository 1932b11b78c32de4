using Microsoft.Data.Sqlite;

namespace GeventSharp.Samples.Chat;

/// <summary>
/// Where one process keeps the rooms' sequences (minichat kept a list in memory). Ids are given
/// here, increasing within a room; <see cref="Epoch"/> names the sequence, so a client holding an
/// id of a sequence that was lost (a memory store after a restart) is told to start again.
/// </summary>
public interface IChatHistory
{
    /// <summary>Which sequence the ids belong to.</summary>
    string Epoch { get; }

    /// <summary>Stores a message and gives it the room's next id.</summary>
    ValueTask<ChatMessage> AppendAsync(string room, string kind, string uid, string text, long at);

    /// <summary>The newest <paramref name="count"/> messages of <paramref name="room"/>, oldest first.</summary>
    ValueTask<IReadOnlyList<ChatMessage>> LastAsync(string room, int count);

    /// <summary>Up to <paramref name="count"/> messages with ids above <paramref name="after"/>, oldest first.</summary>
    ValueTask<IReadOnlyList<ChatMessage>> AfterAsync(string room, long after, int count);

    /// <summary>Up to <paramref name="count"/> messages with ids below <paramref name="before"/> (the newest of them), oldest first.</summary>
    ValueTask<IReadOnlyList<ChatMessage>> BeforeAsync(string room, long before, int count);

    /// <summary>The rooms that have messages.</summary>
    ValueTask<IReadOnlyList<string>> RoomsAsync();
}

/// <summary>History in memory (lost when the process ends), the most recent <c>limit</c> messages per room.</summary>
public sealed class MemoryChatHistory(int limit = 1000) : IChatHistory
{
    private readonly Dictionary<string, List<ChatMessage>> _rooms = new();
    private long _nextId;

    /// <inheritdoc/>
    public string Epoch { get; } = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(6));

    /// <inheritdoc/>
    public ValueTask<ChatMessage> AppendAsync(string room, string kind, string uid, string text, long at)
    {
        if (!_rooms.TryGetValue(room, out List<ChatMessage>? messages))
        {
            _rooms[room] = messages = new List<ChatMessage>();
        }

        var message = new ChatMessage(++_nextId, kind, uid, text, at);
        messages.Add(message);
        if (messages.Count > limit * 2)
        {
            messages.RemoveRange(0, messages.Count - limit);
        }

        return new(message);
    }

    /// <summary>Appends <c>uid:text</c> lines as messages (for setting up a room).</summary>
    public async ValueTask AppendLineAsync(string room, string line, long at = 0)
    {
        int colon = line.IndexOf(':', StringComparison.Ordinal);
        await AppendAsync(room, ChatMessage.Said, line[..colon], line[(colon + 1)..], at);
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<ChatMessage>> LastAsync(string room, int count)
        => new(Messages(room) is { } m ? m.GetRange(Math.Max(0, m.Count - count), Math.Min(count, m.Count)) : []);

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<ChatMessage>> AfterAsync(string room, long after, int count)
        => new(Messages(room)?.Where(m => m.Id > after).Take(count).ToList() ?? []);

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<ChatMessage>> BeforeAsync(string room, long before, int count)
        => new(Messages(room)?.Where(m => m.Id < before).TakeLast(count).ToList() ?? []);

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<string>> RoomsAsync() => new(_rooms.Keys.ToList());

    private List<ChatMessage>? Messages(string room) => _rooms.GetValueOrDefault(room);
}

/// <summary>
/// History in a SQLite file, so a restarted server shows the same backlog and clients resume from
/// their last id. SQLite's calls block, so each runs on the hub's thread pool
/// (<see cref="Gevent.RunBlockingAsync{T}(Func{T}, CancellationToken)"/>) while the greenlet waits
/// cooperatively: other connections keep being served. A message is committed before
/// <see cref="AppendAsync"/> returns, so an acknowledged message survives <c>kill -9</c>.
/// </summary>
public sealed class SqliteChatHistory : IChatHistory, IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly Lock _lock = new();

    /// <summary>Opens (creating or extending if needed) the database at <paramref name="path"/>.</summary>
    public SqliteChatHistory(string path)
    {
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path }.ToString());
        _connection.Open();
        Execute("""
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = FULL;
            CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY AUTOINCREMENT, room TEXT NOT NULL, line TEXT NOT NULL, at TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS messages_room ON messages (room, id);
            CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            INSERT OR IGNORE INTO meta (key, value) VALUES ('epoch', lower(hex(randomblob(6))));
            """);
        using (SqliteCommand columns = _connection.CreateCommand())
        {
            columns.CommandText = "SELECT count(*) FROM pragma_table_info('messages') WHERE name = 'kind'";
            if ((long)columns.ExecuteScalar()! == 0)
            {
                // A database of the first version: lines only; their uid is what precedes the first ':'.
                Execute("ALTER TABLE messages ADD COLUMN kind TEXT NOT NULL DEFAULT 'msg'; ALTER TABLE messages ADD COLUMN uid TEXT;");
            }
        }

        using SqliteCommand epoch = _connection.CreateCommand();
        epoch.CommandText = "SELECT value FROM meta WHERE key = 'epoch'";
        Epoch = (string)epoch.ExecuteScalar()!;
    }

    /// <inheritdoc/>
    public string Epoch { get; }

    /// <inheritdoc/>
    public ValueTask<ChatMessage> AppendAsync(string room, string kind, string uid, string text, long at) => Gevent.RunBlockingAsync(() =>
    {
        lock (_lock)
        {
            using SqliteCommand insert = _connection.CreateCommand();
            insert.CommandText = "INSERT INTO messages (room, line, at, kind, uid) VALUES ($room, $line, $at, $kind, $uid) RETURNING id";
            insert.Parameters.AddWithValue("$room", room);
            insert.Parameters.AddWithValue("$line", text);
            insert.Parameters.AddWithValue("$at", DateTimeOffset.FromUnixTimeMilliseconds(at).ToString("O"));
            insert.Parameters.AddWithValue("$kind", kind);
            insert.Parameters.AddWithValue("$uid", uid);
            return new ChatMessage((long)insert.ExecuteScalar()!, kind, uid, text, at);
        }
    });

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<ChatMessage>> LastAsync(string room, int count)
        => Select("SELECT * FROM (SELECT id, kind, uid, line, at FROM messages WHERE room = $room ORDER BY id DESC LIMIT $count) ORDER BY id", room, 0, count);

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<ChatMessage>> AfterAsync(string room, long after, int count)
        => Select("SELECT id, kind, uid, line, at FROM messages WHERE room = $room AND id > $id ORDER BY id LIMIT $count", room, after, count);

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<ChatMessage>> BeforeAsync(string room, long before, int count)
        => Select("SELECT * FROM (SELECT id, kind, uid, line, at FROM messages WHERE room = $room AND id < $id ORDER BY id DESC LIMIT $count) ORDER BY id", room, before, count);

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<string>> RoomsAsync() => Gevent.RunBlockingAsync<IReadOnlyList<string>>(() =>
    {
        lock (_lock)
        {
            using SqliteCommand select = _connection.CreateCommand();
            select.CommandText = "SELECT DISTINCT room FROM messages LIMIT 1000";
            using SqliteDataReader reader = select.ExecuteReader();
            var rooms = new List<string>();
            while (reader.Read())
            {
                rooms.Add(reader.GetString(0));
            }

            return rooms;
        }
    });

    /// <summary>Closes the database.</summary>
    public void Dispose() => _connection.Dispose();

    private ValueTask<IReadOnlyList<ChatMessage>> Select(string sql, string room, long id, int count) => Gevent.RunBlockingAsync<IReadOnlyList<ChatMessage>>(() =>
    {
        lock (_lock)
        {
            using SqliteCommand select = _connection.CreateCommand();
            select.CommandText = sql;
            select.Parameters.AddWithValue("$room", room);
            select.Parameters.AddWithValue("$id", id);
            select.Parameters.AddWithValue("$count", count);
            using SqliteDataReader reader = select.ExecuteReader();
            var messages = new List<ChatMessage>();
            while (reader.Read())
            {
                string text = reader.GetString(3);
                string uid;
                if (reader.IsDBNull(2))
                {
                    int colon = text.IndexOf(':', StringComparison.Ordinal);
                    (uid, text) = colon < 0 ? ("", text) : (text[..colon], text[(colon + 1)..]);
                }
                else
                {
                    uid = reader.GetString(2);
                }

                long at = DateTimeOffset.TryParse(reader.GetString(4), out DateTimeOffset t) ? t.ToUnixTimeMilliseconds() : 0;
                messages.Add(new ChatMessage(reader.GetInt64(0), reader.GetString(1), uid, text, at));
            }

            return messages;
        }
    });

    private void Execute(string sql)
    {
        using SqliteCommand command = _connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
