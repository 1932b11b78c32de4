namespace GeventSharp.Samples.Hosted;

/// <summary>Settings of the <see cref="Board"/>, bound from the <c>Board</c> section of appsettings.json.</summary>
public sealed class BoardOptions
{
    /// <summary>How long a poll waits for a message before it answers with none.</summary>
    public TimeSpan PollTimeout { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// A message board: a singleton service that lives on the hub (its <see cref="Event"/> is a hub
/// primitive), shared by every request. Messages get increasing ids; a poll waits for an id
/// after the last it saw.
/// </summary>
public sealed class Board
{
    private readonly List<string> _messages = new();
    private Event _changed = new();

    /// <summary>Messages so far.</summary>
    public int Count => _messages.Count;

    /// <summary>Adds a message and wakes every poll waiting.</summary>
    public int Say(string text)
    {
        _messages.Add(text);
        Event changed = _changed;
        _changed = new Event();
        changed.Set();
        return _messages.Count;
    }

    /// <summary>The messages after <paramref name="after"/>, waiting up to <paramref name="timeout"/> for one.</summary>
    public async Task<IReadOnlyList<string>> AfterAsync(int after, TimeSpan timeout)
    {
        if (after >= _messages.Count)
        {
            await _changed.WaitAsync(timeout);
        }

        return _messages.Skip(Math.Max(after, 0)).ToList();
    }
}
