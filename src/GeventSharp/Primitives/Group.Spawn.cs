using System.Runtime.CompilerServices;

namespace GeventSharp;

/// <summary>Spawning into a group: the same overloads as <see cref="Gevent"/>'s Spawn.</summary>
public partial class Group
{
    /// <summary>Spawns <paramref name="function"/> as a member (see <see cref="Gevent.Spawn(Func{Task})"/>). On a full <see cref="Pool"/>, throws <see cref="QueueFullException"/>: use <c>SpawnAsync</c> to wait.</summary>
    [OverloadResolutionPriority(1)] // an async lambda fits Func<Task> and Func<ValueTask>: Task wins
    public Greenlet Spawn(Func<Task> function) => SpawnMember(() => Gevent.Spawn(function));

    /// <summary>Spawns a <see cref="ValueTask"/> function as a member (see <see cref="Gevent.Spawn(Func{ValueTask})"/>).</summary>
    public Greenlet Spawn(Func<ValueTask> function) => SpawnMember(() => Gevent.Spawn(function));

    /// <summary>Spawns the synchronous <paramref name="function"/> as a member.</summary>
    public Greenlet Spawn(Action function) => SpawnMember(() => Gevent.Spawn(function));

    /// <summary>Spawns <paramref name="function"/> with a result as a member.</summary>
    [OverloadResolutionPriority(1)]
    public Greenlet<T> Spawn<T>(Func<Task<T>> function) => SpawnMember(() => Gevent.Spawn(function));

    /// <summary>Spawns a <see cref="ValueTask{T}"/> function with a result as a member.</summary>
    public Greenlet<T> Spawn<T>(Func<ValueTask<T>> function) => SpawnMember(() => Gevent.Spawn(function));

    /// <summary>Spawns the synchronous <paramref name="function"/> with a result as a member.</summary>
    public Greenlet<T> Spawn<T>(Func<T> function) => SpawnMember(() => Gevent.Spawn(function));

    /// <summary>Spawns <paramref name="function"/>(<paramref name="arg"/>) as a member.</summary>
    public Greenlet Spawn<TArg>(Func<TArg, Task> function, TArg arg) => SpawnMember(() => Gevent.Spawn(function, arg));

    /// <summary>Spawns <paramref name="function"/>(<paramref name="arg"/>) as a member.</summary>
    public Greenlet Spawn<TArg>(Action<TArg> function, TArg arg) => SpawnMember(() => Gevent.Spawn(function, arg));

    /// <summary>Spawns <paramref name="function"/>(<paramref name="arg"/>) with a result as a member.</summary>
    public Greenlet<T> Spawn<TArg, T>(Func<TArg, Task<T>> function, TArg arg) => SpawnMember(() => Gevent.Spawn(function, arg));

    /// <summary>Spawns <paramref name="function"/>(<paramref name="arg"/>) with a result as a member.</summary>
    public Greenlet<T> Spawn<TArg, T>(Func<TArg, T> function, TArg arg) => SpawnMember(() => Gevent.Spawn(function, arg));

    /// <summary>Spawns <paramref name="function"/>(<paramref name="arg1"/>, <paramref name="arg2"/>) as a member.</summary>
    public Greenlet Spawn<TArg1, TArg2>(Func<TArg1, TArg2, Task> function, TArg1 arg1, TArg2 arg2) => SpawnMember(() => Gevent.Spawn(function, arg1, arg2));

    /// <summary>Spawns <paramref name="function"/>(<paramref name="arg1"/>, <paramref name="arg2"/>) with a result as a member.</summary>
    public Greenlet<T> Spawn<TArg1, TArg2, T>(Func<TArg1, TArg2, Task<T>> function, TArg1 arg1, TArg2 arg2) => SpawnMember(() => Gevent.Spawn(function, arg1, arg2));

    /// <summary>Spawns the synchronous <paramref name="function"/>(<paramref name="arg1"/>, <paramref name="arg2"/>) as a member.</summary>
    public Greenlet Spawn<TArg1, TArg2>(Action<TArg1, TArg2> function, TArg1 arg1, TArg2 arg2) => SpawnMember(() => Gevent.Spawn(function, arg1, arg2));

    /// <summary>Spawns the synchronous <paramref name="function"/>(<paramref name="arg1"/>, <paramref name="arg2"/>) with a result as a member.</summary>
    public Greenlet<T> Spawn<TArg1, TArg2, T>(Func<TArg1, TArg2, T> function, TArg1 arg1, TArg2 arg2) => SpawnMember(() => Gevent.Spawn(function, arg1, arg2));

    /// <summary>Takes a slot (without waiting), spawns, adds; gives the slot back if spawning fails.</summary>
    private TG SpawnMember<TG>(Func<TG> spawn)
        where TG : Greenlet
    {
        ReserveSlot();
        return SpawnIntoReservedSlot(spawn);
    }

    /// <summary>Takes a slot (waiting for one on a <see cref="Pool"/>), spawns, adds.</summary>
    private protected async ValueTask<TG> SpawnMemberWaitingAsync<TG>(Func<TG> spawn, TimeSpan? timeout, CancellationToken cancellationToken)
        where TG : Greenlet
    {
        await ReserveSlotAsync(timeout, cancellationToken);
        return SpawnIntoReservedSlot(spawn);
    }

    /// <summary>Spawns into a slot already taken and adds the greenlet; gives the slot back if spawning fails.</summary>
    private TG SpawnIntoReservedSlot<TG>(Func<TG> spawn)
        where TG : Greenlet
    {
        TG g;
        try
        {
            g = spawn();
        }
        catch
        {
            OnDiscarded(null!);
            throw;
        }

        AddReserved(g);
        return g;
    }
}
