using Microsoft.Data.Sqlite;

namespace GeventSharp.Samples.Chat;

/// <summary>Where a room's messages are kept, so that joining shows the recent ones (minichat kept them in a list in memory).</summary>
public interface IChatHistory
{
    /// <summary>Stores one line (<c>uid:message</c>) of <paramref name="room"/>.</summary>
    ValueTask AppendAsync(string room, string line);

    /// <summary>The last <paramref name="count"/> lines of <paramref name="room"/>, oldest first.</summary>
    ValueTask<IReadOnlyList<string>> LastAsync(string room, int count);
}

/// <summary>History in memory (lost when the process ends), the most recent <c>limit</c> lines per room.</summary>
public sealed class MemoryChatHistory(int limit = 1000) : IChatHistory
{
    private readonly Dictionary<string, LinkedList<string>> _rooms = new();

    /// <inheritdoc/>
    public ValueTask AppendAsync(string room, string line)
    {
        if (!_rooms.TryGetValue(room, out LinkedList<string>? lines))
        {
            _rooms[room] = lines = new LinkedList<string>();
        }

        lines.AddLast(line);
        if (lines.Count > limit)
        {
            lines.RemoveFirst();
        }

        return default;
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<string>> LastAsync(string room, int count)
        => new(_rooms.TryGetValue(room, out LinkedList<string>? lines) ? lines.Skip(Math.Max(0, lines.Count - count)).ToList() : []);
}

/// <summary>
/// History in a SQLite file, so a restarted server shows the same backlog. SQLite's calls block,
/// so each runs on the hub's thread pool (<see cref="Gevent.RunBlockingAsync{T}(Func{T}, CancellationToken)"/>)
/// while the greenlet waits cooperatively: other connections keep being served.
/// </summary>
public sealed class SqliteChatHistory : IChatHistory, IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly Lock _lock = new();

    /// <summary>Opens (creating if needed) the database at <paramref name="path"/>.</summary>
    public SqliteChatHistory(string path)
    {
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path }.ToString());
        _connection.Open();
        using SqliteCommand create = _connection.CreateCommand();
        create.CommandText = """
            CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY AUTOINCREMENT, room TEXT NOT NULL, line TEXT NOT NULL, at TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS messages_room ON messages (room, id);
            """;
        create.ExecuteNonQuery();
    }

    /// <inheritdoc/>
    public ValueTask AppendAsync(string room, string line) => Gevent.RunBlockingAsync(() =>
    {
        lock (_lock)
        {
            using SqliteCommand insert = _connection.CreateCommand();
            insert.CommandText = "INSERT INTO messages (room, line, at) VALUES ($room, $line, $at)";
            insert.Parameters.AddWithValue("$room", room);
            insert.Parameters.AddWithValue("$line", line);
            insert.Parameters.AddWithValue("$at", DateTimeOffset.UtcNow.ToString("O"));
            insert.ExecuteNonQuery();
        }
    });

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<string>> LastAsync(string room, int count) => Gevent.RunBlockingAsync<IReadOnlyList<string>>(() =>
    {
        lock (_lock)
        {
            using SqliteCommand select = _connection.CreateCommand();
            select.CommandText = "SELECT line FROM (SELECT id, line FROM messages WHERE room = $room ORDER BY id DESC LIMIT $count) ORDER BY id";
            select.Parameters.AddWithValue("$room", room);
            select.Parameters.AddWithValue("$count", count);
            using SqliteDataReader reader = select.ExecuteReader();
            var lines = new List<string>();
            while (reader.Read())
            {
                lines.Add(reader.GetString(0));
            }

            return lines;
        }
    });

    /// <summary>Closes the database.</summary>
    public void Dispose() => _connection.Dispose();
}
