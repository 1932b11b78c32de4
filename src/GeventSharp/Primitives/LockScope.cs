namespace GeventSharp;

/// <summary>
/// Holds an acquired lock or permit until disposed: returned by <c>AcquireScopeAsync</c> of
/// <see cref="Semaphore"/> (and its variants) and <see cref="RLock"/>.
/// </summary>
/// <remarks>
/// A struct, so taking a scope allocates nothing. Dispose it exactly once (a <c>using</c> does);
/// a default instance releases nothing.
/// </remarks>
/// <example>
/// <code>
/// using (await sem.AcquireScopeAsync())
/// {
///     // holds the permit here
/// } // released here, even if the block throws or the greenlet is killed
/// </code>
/// </example>
public readonly struct LockScope : IDisposable
{
    private readonly ILockScopeTarget? _target;

    internal LockScope(ILockScopeTarget target) => _target = target;

    /// <summary>Releases what the scope holds.</summary>
    public void Dispose() => _target?.ReleaseScope();
}

/// <summary>Something a <see cref="LockScope"/> releases.</summary>
internal interface ILockScopeTarget
{
    void ReleaseScope();
}
