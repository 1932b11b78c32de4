using System.Runtime.CompilerServices;

namespace GeventSharp;

/// <summary>
/// The delegate of a parked await continuation, as a few bits instead of a field: the awaiters that
/// await a greenlet's waits (the BCL's <see cref="ValueTask"/> awaiters, <see cref="ValueTask.AsTask()"/>, the
/// library's socket waits) pass one of a handful of static delegates, so the greenlet keeps only its number (8 bytes less per
/// blocked greenlet).
/// </summary>
public partial class Greenlet
{
    // The continuation delegates seen so far, process-wide, in the order they were first seen; each
    // slot is set once. Only delegates of the BCL's awaiters (the thread pool's state machine box
    // invoker, ValueTaskAwaiter's Action invoker, AsTask's completion) and of this library (socket
    // waits) are kept: static delegates, so keeping them leaks nothing. Any other delegate is parked
    // with its state as a ContinuationPair (an allocation per wait, for awaiters nobody uses here).
    private static readonly Action<object?>?[] s_knownContinuations = new Action<object?>?[6];

    /// <summary>Invokes the parked continuation (its kind is in <see cref="_flags"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void InvokeContinuation()
    {
        object? state = _continuationState;
        int kind = (int)(_flags & Flags.ContinuationKind) >> ContinuationKindShift;
        if (kind == 0)
        {
            // Set only by SetActionContinuation, always with a non-null Action.
            Unsafe.As<Action>(state)!();
        }
        else if (kind <= s_knownContinuations.Length)
        {
            s_knownContinuations[kind - 1]!(state);
        }
        else
        {
            ContinuationPair pair = Unsafe.As<ContinuationPair>(state)!;
            pair.Continuation(pair.State);
        }
    }

    /// <summary>The kind bits for <paramref name="continuation"/> (<see cref="Flags.ContinuationPair"/> if it is not a known one).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Flags KindOf(Action<object?> continuation)
    {
        Action<object?>?[] known = s_knownContinuations;
        if (ReferenceEquals(known[0], continuation))
        {
            return (Flags)(1 << ContinuationKindShift);
        }

        if (ReferenceEquals(known[1], continuation))
        {
            return (Flags)(2 << ContinuationKindShift);
        }

        return KindOfRare(continuation);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Flags KindOfRare(Action<object?> continuation)
    {
        Action<object?>?[] known = s_knownContinuations;
        for (int i = 0; i < known.Length; i++)
        {
            Action<object?>? k = Volatile.Read(ref known[i]);
            if (k is null)
            {
                if (continuation.Method.DeclaringType?.Assembly is not { } assembly
                    || (assembly != typeof(object).Assembly && assembly != typeof(Greenlet).Assembly))
                {
                    break; // not a BCL awaiter's or the library's own: not kept
                }

                k = Interlocked.CompareExchange(ref known[i], continuation, null) ?? continuation;
            }

            if (ReferenceEquals(k, continuation))
            {
                return (Flags)((i + 1) << ContinuationKindShift);
            }
        }

        return Flags.ContinuationPair;
    }

    /// <summary>A continuation whose delegate is not a known one, with its state.</summary>
    private sealed class ContinuationPair(Action<object?> continuation, object? state)
    {
        public Action<object?> Continuation { get; } = continuation;

        public object? State { get; } = state;
    }
}
