using System.Runtime.ExceptionServices;

namespace GeventSharp;

/// <summary>
/// A <see cref="Group"/> bound to a scope of its owner greenlet (Trio's nursery, gevent issue
/// #1697): when a member fails, the other members are killed and the failure is rethrown to the
/// owner; disposing waits for every member, so none outlives the scope.
/// </summary>
/// <remarks>
/// <para>Create it with <see cref="Group.Structured"/> in an <c>await using</c>, or let
/// <see cref="Group.RunStructuredAsync(Func{Group, Task})"/> manage it.</para>
/// <para>When a member fails while the owner is still inside the scope, the owner is interrupted
/// at its current wait (like a kill) so the scope ends; <see cref="DisposeAsync"/> then rethrows the
/// member's exception with its original stack. Do not swallow that interruption with a broad
/// <c>catch</c> inside the scope.</para>
/// <para>With <c>await using</c> the group cannot see an exception thrown by the owner's own code:
/// members then run to completion before the scope ends. <see cref="Group.RunStructuredAsync(Func{Group, Task})"/>
/// kills them instead, so prefer it.</para>
/// </remarks>
/// <example>
/// <code>
/// await Group.RunStructuredAsync(async g =&gt;
/// {
///     g.Spawn(() =&gt; ServeAsync());
///     g.Spawn(() =&gt; WatchdogAsync()); // if this throws, ServeAsync is killed and the exception comes out here
/// });
/// </code>
/// </example>
public sealed class StructuredGroup : Group, IAsyncDisposable
{
    private readonly Greenlet _owner;
    private ExceptionDispatchInfo? _failure;
    private StructuredScopeInterrupted? _interrupt;
    private bool _closed;

    internal StructuredGroup(Greenlet owner) => _owner = owner;

    /// <summary>The first member failure, or null.</summary>
    public Exception? Failure => _failure?.SourceException;

    /// <summary>
    /// Waits until every member is dead; if one failed, kills the rest, waits for them, and
    /// rethrows that failure. Afterwards nothing can be spawned into the group.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (_closed)
        {
            return;
        }

        try
        {
            await JoinAsync();
        }
        catch (StructuredScopeInterrupted e) when (ReferenceEquals(e, _interrupt))
        {
            // a member failed while we waited; handled below
        }
        catch (Exception) when (!_closed)
        {
            // The owner was killed (or its timeout expired) while it waited: the members go too.
            await AbortAsync();
            throw;
        }

        await CloseAsync();
    }

    /// <summary>The owner's code failed: kill the members, wait for them, close.</summary>
    internal async ValueTask AbortAsync()
    {
        _closed = true;
        await KillShieldedAsync();
    }

    /// <summary>
    /// Kills the members and waits until they are dead, in a shield: the owner may have been killed
    /// (its exit stands) or be in an expired timeout scope, and the scope must not end before its members.
    /// </summary>
    private async ValueTask KillShieldedAsync()
    {
        using (Gevent.Shield())
        {
            await KillAsync();
        }
    }

    private async ValueTask CloseAsync()
    {
        if (_failure is not null)
        {
            await KillShieldedAsync();
        }

        _closed = true;
        _failure?.Throw();
    }

    internal bool IsInterrupt(Exception e) => e is StructuredScopeInterrupted && ReferenceEquals(e, _interrupt);

    private protected override void ReserveSlot()
    {
        if (_closed)
        {
            throw new InvalidOperationException("This structured group's scope has ended; spawn into a new one.");
        }

        if (_failure is not null)
        {
            throw new InvalidOperationException("A member of this structured group failed; it accepts no new members.", _failure.SourceException);
        }
    }

    private protected override ValueTask ReserveSlotAsync(TimeSpan? timeout, CancellationToken cancellationToken)
    {
        ReserveSlot();
        return default;
    }

    private protected override void OnMemberDied(Greenlet greenlet)
    {
        if (greenlet.Exception is not { } error || _failure is not null)
        {
            return;
        }

        _failure = ExceptionDispatchInfo.Capture(error);
        Kill();
        if (!_closed && !_owner.Ready)
        {
            _interrupt = new StructuredScopeInterrupted(error);
            _owner.ThrowIn(_interrupt);
        }
    }

    private protected override string ExtraState => _failure is null ? string.Empty : $", failed with {_failure.SourceException.GetType().Name}";
}

/// <summary>Raised in the owner of a <see cref="StructuredGroup"/> when a member fails, to end its scope.</summary>
internal sealed class StructuredScopeInterrupted : Exception
{
    public StructuredScopeInterrupted(Exception cause)
        : base("A member of the structured group failed; the scope is being cancelled.", cause)
    {
    }
}
