using System.Collections;
using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace GeventSharp;

/// <summary>
/// A set of greenlets to wait for, kill, or map work over together (gevent's <c>gevent.pool.Group</c>).
/// A greenlet leaves the group when it dies. <see cref="Pool"/> is a group with a size limit.
/// </summary>
/// <remarks>
/// <para>Members are listed in the order they were added. A member is discarded by a link callback
/// scheduled when it dies, so for one hub turn a dead member may still be counted.</para>
/// <para><see cref="JoinAsync(TimeSpan?, bool, CancellationToken)"/> waits until the group is empty.
/// <see cref="Kill(Exception?)"/> never kills the greenlet calling it.</para>
/// <para><see cref="RunStructuredAsync(Func{Group, Task})"/> (or <see cref="Structured"/>) gives a
/// structured group (Trio's nursery): when a member fails, the others are killed and the failure
/// is rethrown to the owner, so no member outlives the scope.</para>
/// <para>The map family (<see cref="MapAsync{TIn, TOut}(Func{TIn, Task{TOut}}, IEnumerable{TIn}, CancellationToken)"/>, <see cref="MapEachAsync{TIn, TOut}(Func{TIn, Task{TOut}}, IEnumerable{TIn}, int?, CancellationToken)"/>,
/// <see cref="MapEachUnorderedAsync{TIn, TOut}(Func{TIn, Task{TOut}}, IEnumerable{TIn}, int?, CancellationToken)"/>, <see cref="ApplyAsync{T}(Func{Task{T}})"/>,
/// <see cref="ApplyInBackground{T}(Func{Task{T}}, Action{T}?)"/>) runs each call in a member
/// greenlet; on a <see cref="Pool"/> the pool size bounds how many run at once.</para>
/// </remarks>
/// <example>
/// <code>
/// var group = new Group();
/// group.Spawn(async () =&gt; await Gevent.Sleep(1));
/// group.Spawn(async () =&gt; await Gevent.Sleep(2));
/// await group.JoinAsync(); // after 2 seconds; group.Count is 0
/// </code>
/// </example>
[DebuggerDisplay("{ToString(),nq}")]
public partial class Group : IReadOnlyCollection<Greenlet>
{
    private readonly Dictionary<Greenlet, LinkedListNode<Greenlet>> _index = new();
    private readonly LinkedList<Greenlet> _order = new();
    private readonly Event _empty = new();
    private readonly Action<Waitable> _onMemberDead;
    private HashSet<Greenlet>? _dying; // members this group has shot: each is shot once (gevent's dying set)

    /// <summary>Creates an empty group.</summary>
    public Group() => _onMemberDead = w => MemberDied((Greenlet)w);

    /// <summary>Creates a group holding <paramref name="greenlets"/>.</summary>
    public Group(IEnumerable<Greenlet> greenlets)
        : this()
    {
        ArgumentNullException.ThrowIfNull(greenlets);
        foreach (Greenlet g in greenlets)
        {
            Add(g);
        }
    }

    /// <summary>Members now.</summary>
    public int Count => _index.Count;

    /// <summary>True if <paramref name="greenlet"/> is a member.</summary>
    public bool Contains(Greenlet greenlet) => greenlet is not null && _index.ContainsKey(greenlet);

    /// <summary>
    /// Adds <paramref name="greenlet"/> (started or not); it is discarded when it dies.
    /// On a <see cref="Pool"/> this takes a slot and throws <see cref="QueueFullException"/> if there is none
    /// (use <see cref="AddAsync(Greenlet, TimeSpan?, CancellationToken)"/> to wait).
    /// </summary>
    public void Add(Greenlet greenlet)
    {
        ArgumentNullException.ThrowIfNull(greenlet);
        if (Contains(greenlet))
        {
            return;
        }

        ReserveSlot();
        AddReserved(greenlet);
    }

    /// <summary>Adds <paramref name="greenlet"/>, waiting up to <paramref name="timeoutSeconds"/> for a slot on a <see cref="Pool"/>.</summary>
    /// <exception cref="QueueFullException">No slot came free in time.</exception>
    public ValueTask AddAsync(Greenlet greenlet, double timeoutSeconds, CancellationToken cancellationToken = default)
        => AddAsync(greenlet, Gevent.SecondsToTimeSpan(timeoutSeconds, nameof(timeoutSeconds)), cancellationToken);

    /// <summary>Adds <paramref name="greenlet"/>, waiting up to <paramref name="timeout"/> for a slot on a <see cref="Pool"/>.</summary>
    /// <exception cref="QueueFullException">No slot came free in time.</exception>
    public async ValueTask AddAsync(Greenlet greenlet, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(greenlet);
        if (Contains(greenlet))
        {
            return;
        }

        await ReserveSlotAsync(timeout, cancellationToken);
        AddReserved(greenlet);
    }

    /// <summary>Removes <paramref name="greenlet"/> without killing it (frees its slot on a <see cref="Pool"/>); false if it was not a member.</summary>
    public bool Discard(Greenlet greenlet)
    {
        if (greenlet is null || !_index.Remove(greenlet, out LinkedListNode<Greenlet>? node))
        {
            return false;
        }

        _order.Remove(node);
        _dying?.Remove(greenlet);
        greenlet.Unlink(_onMemberDead);
        OnDiscarded(greenlet);
        if (_index.Count == 0)
        {
            _empty.Set();
        }

        return true;
    }

    private void AddReserved(Greenlet greenlet)
    {
        _index.Add(greenlet, _order.AddLast(greenlet));
        _empty.Clear();
        greenlet.Rawlink(_onMemberDead);
    }

    private void MemberDied(Greenlet greenlet)
    {
        if (Contains(greenlet))
        {
            OnMemberDied(greenlet);
            Discard(greenlet);
        }
    }

    /// <summary>Takes a slot for a new member without waiting (a <see cref="Pool"/> throws <see cref="QueueFullException"/>).</summary>
    private protected virtual void ReserveSlot()
    {
    }

    /// <summary>Takes a slot for a new member if one is free now; false (nothing taken) if not. Misuse still throws, as <see cref="ReserveSlot"/>.</summary>
    private protected virtual bool TryReserveSlot()
    {
        ReserveSlot();
        return true;
    }

    /// <summary>Takes a slot for a new member, waiting if needed.</summary>
    private protected virtual ValueTask ReserveSlotAsync(TimeSpan? timeout, CancellationToken cancellationToken) => default;

    /// <summary>Gives back the slot of a member that left.</summary>
    private protected virtual void OnDiscarded(Greenlet greenlet)
    {
    }

    /// <summary>A member died (before it is discarded).</summary>
    private protected virtual void OnMemberDied(Greenlet greenlet)
    {
    }

    // ---- join, kill ----

    /// <summary>
    /// Waits until the group is empty, the timeout elapses, or the token is cancelled. With
    /// <paramref name="raiseError"/>, then rethrows the exception of the first member (of those
    /// present when the call started) that failed, as gevent's <c>join(raise_error=True)</c>.
    /// </summary>
    /// <returns>True if the group is empty, false on timeout.</returns>
    public async ValueTask<bool> JoinAsync(TimeSpan? timeout = null, bool raiseError = false, CancellationToken cancellationToken = default)
    {
        List<Greenlet>? members = raiseError ? _order.ToList() : null;
        bool empty = _index.Count == 0 || await _empty.WaitAsync(timeout, cancellationToken);
        if (members is not null)
        {
            foreach (Greenlet g in members)
            {
                if (g.Exception is { } e)
                {
                    ExceptionDispatchInfo.Capture(e).Throw();
                }
            }
        }

        return empty;
    }

    /// <summary>Waits until the group is empty or <paramref name="seconds"/> elapse; see <see cref="JoinAsync(TimeSpan?, bool, CancellationToken)"/>.</summary>
    public ValueTask<bool> JoinAsync(double seconds, bool raiseError = false, CancellationToken cancellationToken = default)
        => JoinAsync(Gevent.SecondsToTimeSpan(seconds, nameof(seconds)), raiseError, cancellationToken);

    /// <summary>
    /// Kills every member except the calling greenlet (see <see cref="Greenlet.Kill(Exception?)"/>)
    /// without waiting. A member this group already killed (and that has not died yet) is not shot
    /// again, as in gevent.
    /// </summary>
    public void Kill(Exception? exception = null)
    {
        Greenlet? current = Greenlet.Current;
        foreach (Greenlet g in _order.ToList())
        {
            if (!ReferenceEquals(g, current))
            {
                Shoot(g, exception);
            }
        }
    }

    /// <summary>Kills a member unless this group already did; false if it was already dying.</summary>
    private bool Shoot(Greenlet member, Exception? exception)
    {
        if (!(_dying ??= new HashSet<Greenlet>()).Add(member))
        {
            return false;
        }

        member.Kill(exception);
        if (member.Ready)
        {
            _dying.Remove(member); // died at once (not started, or no wait to interrupt): nothing to track
        }

        return true;
    }

    /// <summary>
    /// Kills every member except the calling greenlet and waits until they are gone (members added
    /// meanwhile are killed too), or the timeout elapses.
    /// </summary>
    /// <returns>True if no member (other than the caller) is left.</returns>
    public async ValueTask<bool> KillAsync(Exception? exception = null, TimeSpan? timeout = null)
    {
        Greenlet current = Hub.CurrentGreenletOrThrow("Group.KillAsync");
        TimeProvider clock = current.Hub.TimeProvider;
        long start = clock.GetTimestamp();
        while (true)
        {
            List<Greenlet> others = _order.Where(g => !ReferenceEquals(g, current)).ToList();
            if (others.Count == 0)
            {
                return true;
            }

            foreach (Greenlet g in others)
            {
                Shoot(g, exception);
            }

            TimeSpan? left = timeout - clock.GetElapsedTime(start);
            if (left < TimeSpan.Zero)
            {
                return false;
            }

            IReadOnlyList<Greenlet> dead = await Gevent.JoinAllAsync(others, left);
            if (dead.Count < others.Count)
            {
                return false;
            }

            await Gevent.Sleep(0); // let the discard links run
        }
    }

    /// <summary>Like <see cref="KillAsync(Exception?, TimeSpan?)"/>, with the timeout in seconds (as gevent's <c>Group.kill(timeout=...)</c>).</summary>
    /// <returns>True if no member (other than the caller) is left.</returns>
    public ValueTask<bool> KillAsync(Exception? exception, double timeoutSeconds)
        => KillAsync(exception, Gevent.SecondsToTimeSpan(timeoutSeconds, nameof(timeoutSeconds)));

    /// <summary>
    /// Kills <paramref name="greenlet"/> if it is a member, without waiting; false if it is not, or if
    /// this group already killed it and it has not died yet (it is not shot twice, as in gevent).
    /// </summary>
    public bool KillOne(Greenlet greenlet, Exception? exception = null)
        => Contains(greenlet) && Shoot(greenlet, exception);

    /// <summary>
    /// Kills <paramref name="greenlet"/> if it is a member and waits until it is dead or the timeout
    /// elapses. A member this group is already killing is neither shot nor waited on again (gevent's
    /// <c>killone</c>): the call returns at once.
    /// </summary>
    /// <returns>True if it is dead (or was not a member); false if it is still alive.</returns>
    public ValueTask<bool> KillOneAsync(Greenlet greenlet, Exception? exception = null, TimeSpan? timeout = null)
        => KillOne(greenlet, exception) ? greenlet.JoinAsync(timeout) : new ValueTask<bool>(greenlet is null || greenlet.Ready || !Contains(greenlet));

    /// <summary>Like <see cref="KillOneAsync(Greenlet, Exception?, TimeSpan?)"/>, with the timeout in seconds.</summary>
    /// <returns>True if it is dead (or was not a member).</returns>
    public ValueTask<bool> KillOneAsync(Greenlet greenlet, Exception? exception, double timeoutSeconds)
        => KillOneAsync(greenlet, exception, Gevent.SecondsToTimeSpan(timeoutSeconds, nameof(timeoutSeconds)));

    /// <summary>The members, in the order they were added (a snapshot: safe to modify the group while iterating).</summary>
    public IEnumerator<Greenlet> GetEnumerator() => _order.ToList().GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Like <c>&lt;Group 3 greenlets&gt;</c>.</summary>
    public sealed override string ToString() => $"<{GetType().Name} {Count} greenlet{(Count == 1 ? string.Empty : "s")}{ExtraState}>";

    /// <summary>More state for <see cref="ToString"/>.</summary>
    private protected virtual string ExtraState => string.Empty;
}
