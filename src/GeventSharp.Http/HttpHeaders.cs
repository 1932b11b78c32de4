using System.Collections;
using System.Diagnostics;

namespace GeventSharp.Http;

/// <summary>
/// HTTP header fields in the order they were added, looked up by name without regard to case
/// (the role of WSGI's <c>HTTP_*</c> environ keys and of <c>start_response</c>'s header list).
/// </summary>
/// <remarks>
/// A name may appear more than once; the indexer reads the values joined by <c>", "</c> and
/// writes by replacing them all. Names must be HTTP tokens and values may not contain CR, LF or
/// NUL: a header that could split a response is refused with an <see cref="ArgumentException"/>.
/// </remarks>
/// <example>
/// <code>
/// response.Headers["Cache-Control"] = "no-store";
/// response.Headers.Add("Set-Cookie", "a=1");
/// response.Headers.Add("Set-Cookie", "b=2");          // two fields
/// string? agent = request.Headers["user-agent"];      // case does not matter
/// </code>
/// </example>
[DebuggerDisplay("Count = {Count}")]
public sealed class HttpHeaders : IReadOnlyCollection<KeyValuePair<string, string>>
{
    private readonly List<KeyValuePair<string, string>> _fields;

    /// <summary>Creates an empty set of header fields.</summary>
    public HttpHeaders()
        : this(0)
    {
    }

    /// <summary>Room for <paramref name="capacity"/> fields (a parsed request knows its count).</summary>
    internal HttpHeaders(int capacity) => _fields = new List<KeyValuePair<string, string>>(capacity);

    /// <summary>How many fields (a repeated name counts each time).</summary>
    public int Count => _fields.Count;

    /// <summary>
    /// The value of <paramref name="name"/> (several fields joined by <c>", "</c>), or null if absent.
    /// Setting replaces every field of that name; setting null removes them.
    /// </summary>
    /// <exception cref="ArgumentException">The name is not a token, or the value contains CR, LF or NUL.</exception>
    public string? this[string name]
    {
        get
        {
            string? found = null;
            foreach (KeyValuePair<string, string> f in _fields)
            {
                if (string.Equals(f.Key, name, StringComparison.OrdinalIgnoreCase))
                {
                    found = found is null ? f.Value : found + ", " + f.Value;
                }
            }

            return found;
        }

        set
        {
            Remove(name);
            if (value is not null)
            {
                Add(name, value);
            }
        }
    }

    /// <summary>Adds a field (keeping any others of the same name).</summary>
    /// <exception cref="ArgumentException">The name is not a token, or the value contains CR, LF or NUL.</exception>
    public void Add(string name, string value)
    {
        ValidateName(name);
        ValidateValue(name, value);
        _fields.Add(new KeyValuePair<string, string>(name, value));
    }

    /// <summary>True if a field named <paramref name="name"/> is present.</summary>
    public bool Contains(string name) => IndexOf(name) >= 0;

    /// <summary>Every value of <paramref name="name"/>, in order.</summary>
    public IReadOnlyList<string> GetValues(string name)
    {
        var values = new List<string>();
        foreach (KeyValuePair<string, string> f in _fields)
        {
            if (string.Equals(f.Key, name, StringComparison.OrdinalIgnoreCase))
            {
                values.Add(f.Value);
            }
        }

        return values;
    }

    /// <summary>True if <paramref name="name"/>'s comma-separated value lists contain <paramref name="token"/> (case-insensitive), as in <c>Connection: keep-alive, Upgrade</c>.</summary>
    public bool ContainsToken(string name, string token)
    {
        foreach (KeyValuePair<string, string> f in _fields)
        {
            if (string.Equals(f.Key, name, StringComparison.OrdinalIgnoreCase))
            {
                foreach (Range r in f.Value.AsSpan().Split(','))
                {
                    if (f.Value.AsSpan()[r].Trim(" \t").Equals(token, StringComparison.OrdinalIgnoreCase))
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }

    /// <summary>Removes every field named <paramref name="name"/>; true if there was one.</summary>
    public bool Remove(string name)
    {
        bool removed = false;
        for (int i = _fields.Count - 1; i >= 0; i--)
        {
            if (string.Equals(_fields[i].Key, name, StringComparison.OrdinalIgnoreCase))
            {
                _fields.RemoveAt(i);
                removed = true;
            }
        }

        return removed;
    }

    /// <summary>Removes every field.</summary>
    public void Clear() => _fields.Clear();

    /// <summary>The fields in order.</summary>
    public List<KeyValuePair<string, string>>.Enumerator GetEnumerator() => _fields.GetEnumerator();

    IEnumerator<KeyValuePair<string, string>> IEnumerable<KeyValuePair<string, string>>.GetEnumerator() => _fields.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _fields.GetEnumerator();

    /// <summary>The fields as they would be sent, one per line.</summary>
    public override string ToString() => string.Join("\r\n", _fields.Select(f => $"{f.Key}: {f.Value}"));

    /// <summary>Adds a field parsed from a request: already validated, so no checks.</summary>
    internal void AddParsed(string name, string value) => _fields.Add(new KeyValuePair<string, string>(name, value));

    /// <summary>Replaces the value of the field at <paramref name="index"/>, keeping its place (the value is valid already).</summary>
    internal void ReplaceValueAt(int index, string value) => _fields[index] = new KeyValuePair<string, string>(_fields[index].Key, value);

    /// <summary>The value of the field at <paramref name="index"/>.</summary>
    internal string ValueAt(int index) => _fields[index].Value;

    internal int IndexOf(string name, int start = 0)
    {
        for (int i = start; i < _fields.Count; i++)
        {
            if (string.Equals(_fields[i].Key, name, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return -1;
    }

    internal static bool IsTokenChar(int c) => c < 128 && s_token[c];

    private static readonly bool[] s_token = BuildTokenTable();

    private static bool[] BuildTokenTable()
    {
        var t = new bool[128];
        for (int c = '0'; c <= '9'; c++)
        {
            t[c] = true;
        }

        for (int c = 'a'; c <= 'z'; c++)
        {
            t[c] = true;
            t[c - 32] = true;
        }

        foreach (char c in "!#$%&'*+-.^_`|~")
        {
            t[c] = true;
        }

        return t;
    }

    private static void ValidateName(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        foreach (char c in name)
        {
            if (!IsTokenChar(c))
            {
                throw new ArgumentException($"\"{name}\" is not a valid header name: only letters, digits and !#$%&'*+-.^_`|~ are allowed.", nameof(name));
            }
        }
    }

    private static void ValidateValue(string name, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.AsSpan().IndexOfAny('\r', '\n', '\0') >= 0)
        {
            throw new ArgumentException($"The value of header \"{name}\" contains CR, LF or NUL, which would split the response.", nameof(value));
        }
    }
}
