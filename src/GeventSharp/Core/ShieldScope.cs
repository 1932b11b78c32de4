namespace GeventSharp;

/// <summary>
/// A shield: while it is open, kills and the timeouts started before it do not interrupt the
/// greenlet's waits. Returned by <see cref="Gevent.Shield"/>; dispose it (a <c>using</c> does) in
/// the greenlet that opened it.
/// </summary>
/// <remarks>
/// <para>What the shield held off is not lost: once it ends, the greenlet's next wait raises the
/// kill or the expired timeout. Shields nest and must end in the reverse order they began.</para>
/// <para>A struct, so opening a shield allocates nothing; a default instance shields nothing.</para>
/// </remarks>
/// <example>
/// <code>
/// try
/// {
///     await Gevent.Sleep(100);
/// }
/// finally
/// {
///     using (Gevent.Shield())
///     {
///         await Gevent.Sleep(0.1); // waits even though the greenlet was killed
///     }
/// }
/// </code>
/// </example>
public readonly struct ShieldScope : IDisposable
{
    private readonly Greenlet? _greenlet;
    private readonly int _depth;

    internal ShieldScope(Greenlet greenlet, int depth)
    {
        _greenlet = greenlet;
        _depth = depth;
    }

    /// <summary>Ends the shield; a kill or expired timeout it held off is raised at the next wait.</summary>
    /// <exception cref="InvalidOperationException">Shields ended out of order.</exception>
    public void Dispose() => _greenlet?.EndShield(_depth);
}
