namespace GeventSharp;

/// <summary>Callbacks run after the greenlet dies.</summary>
public partial class Greenlet
{
    /// <summary>
    /// Runs <paramref name="callback"/> on the hub after this greenlet dies (at once if it is
    /// dead already). Callbacks run in the order they were linked, after joiners are woken.
    /// </summary>
    /// <example><code>g.Link(dead =&gt; Console.WriteLine($"{dead} finished"));</code></example>
    public void Link(Action<Greenlet> callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        AddLink(new LinkEntry(callback, LinkKind.Any));
    }

    /// <summary>Like <see cref="Link"/>, but runs only if the greenlet succeeded.</summary>
    public void LinkValue(Action<Greenlet> callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        AddLink(new LinkEntry(callback, LinkKind.Value));
    }

    /// <summary>Like <see cref="Link"/>, but runs only if the greenlet failed.</summary>
    public void LinkException(Action<Greenlet> callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        AddLink(new LinkEntry(callback, LinkKind.Exception));
    }

    internal override void InvokeLink(in LinkEntry entry)
    {
        switch (entry.Kind)
        {
            case LinkKind.Any:
            case LinkKind.Value when Successful:
            case LinkKind.Exception when !Successful:
                ((Action<Greenlet>)entry.Callback)(this);
                break;
            case LinkKind.Raw:
                base.InvokeLink(entry);
                break;
        }
    }
}
