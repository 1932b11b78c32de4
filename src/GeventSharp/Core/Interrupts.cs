namespace GeventSharp;

/// <summary>
/// What keeps interrupting a greenlet after the first raise, and what holds it off: the
/// <see cref="GreenletExit"/> of a kill (it stands until the greenlet ends), the timeouts that
/// fired and whose scopes are still open (each stands until its scope ends), and how many shields
/// the greenlet is in. One per greenlet, created by its first kill, fired timeout or shield.
/// </summary>
/// <remarks>
/// <para>A standing interrupt is raised again at each wait outside a shield, but at most
/// <see cref="MaxRaises"/> times in all: a greenlet that swallows it that often (a <c>catch</c>-all in
/// a loop) is ended at its next wait instead (see docs/architecture.md, "Cancellation").</para>
/// <para>A shield holds off what came from outside it: a kill, and the timeouts started before the
/// shield. A timeout started inside a shield interrupts the waits of that shield as usual.</para>
/// </remarks>
internal sealed class Interrupts
{
    /// <summary>How many times a standing interrupt is raised before the next wait ends the greenlet.</summary>
    public const int MaxRaises = 2;

    private Timeout? _firstExpired;
    private List<Timeout>? _moreExpired;

    /// <summary>The <see cref="GreenletExit"/> of a kill, raised at each wait until the greenlet ends.</summary>
    public GreenletExit? Exit;

    /// <summary>How many times <see cref="Exit"/> was raised (the kill's own delivery counts).</summary>
    public int ExitRaises;

    /// <summary>How many shields the greenlet is in now.</summary>
    public int ShieldDepth;

    /// <summary>The exception a greenlet that swallowed its interrupt too often ends with.</summary>
    public Exception? Ending;

    /// <summary>True while a kill or a fired timeout stands (it may still be held off by a shield).</summary>
    public bool Standing => Exit is not null || _firstExpired is not null;

    /// <summary>Records <paramref name="timeout"/>, which fired while its scope is open.</summary>
    public void AddExpired(Timeout timeout)
    {
        if (_firstExpired is null)
        {
            _firstExpired = timeout;
        }
        else if (!ReferenceEquals(_firstExpired, timeout) && !(_moreExpired?.Contains(timeout) ?? false))
        {
            (_moreExpired ??= []).Add(timeout);
        }
    }

    /// <summary>Forgets <paramref name="timeout"/>: its scope ended (cancelled, disposed, restarted).</summary>
    public void RemoveExpired(Timeout timeout)
    {
        if (ReferenceEquals(_firstExpired, timeout))
        {
            _firstExpired = null;
            if (_moreExpired is { Count: > 0 } more)
            {
                _firstExpired = more[^1];
                more.RemoveAt(more.Count - 1);
            }
        }
        else
        {
            _moreExpired?.Remove(timeout);
        }
    }

    /// <summary>
    /// The standing interrupt a wait at the current shield depth raises: the kill's exit outside
    /// every shield, else the outermost expired timeout not held off by a shield; null if none.
    /// </summary>
    public Timeout? OutermostExpired()
    {
        Timeout? outermost = Deliverable(_firstExpired, null);
        if (_moreExpired is { } more)
        {
            foreach (Timeout t in more)
            {
                outermost = Deliverable(t, outermost);
            }
        }

        return outermost;
    }

    private Timeout? Deliverable(Timeout? candidate, Timeout? best)
    {
        if (candidate is null || candidate.ShieldDepth < ShieldDepth)
        {
            return best;
        }

        return best is null || candidate.StartOrder < best.StartOrder ? candidate : best;
    }
}
