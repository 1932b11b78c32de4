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

/// <summary>A blocked <c>AcquireScopeAsync</c>: yields the scope, or raises <see cref="Timeout"/>, when the acquirer resumes.</summary>
internal sealed class LockScopeOperation : GreenletOperation<LockScope>
{
    private ILockScopeTarget? _target;
    private TimeSpan? _timeout;

    public static ValueTask<LockScope> Start(ILockScopeTarget target, Greenlet current, WaitList acquirers, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        LockScopeOperation op = OperationPool<LockScopeOperation>.Rent();
        op._target = target;
        op._timeout = timeout;
        if (!op.Suspend(current, target, acquirers, current.Hub.TimeoutToTicks(timeout), cancellationToken, out Exception? early))
        {
            op.ReturnToPool();
            return ValueTask.FromException<LockScope>(early!);
        }

        return op.Pending;
    }

    protected override LockScope Complete(bool woken) => woken ? new LockScope(_target!) : throw new Timeout(_timeout);

    protected override void ReturnToPool()
    {
        _target = null;
        OperationPool<LockScopeOperation>.Return(this);
    }
}
