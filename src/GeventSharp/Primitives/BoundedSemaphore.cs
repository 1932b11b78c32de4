namespace GeventSharp;

/// <summary>
/// A <see cref="Semaphore"/> that refuses to be released more often than it was acquired
/// (gevent's <c>gevent.lock.BoundedSemaphore</c>): the counter never exceeds its initial value.
/// </summary>
/// <remarks>
/// Releasing past the initial value throws <see cref="SemaphoreFullException"/> with gevent's
/// message, "Semaphore released too many times", and changes nothing. Fairness, timeouts and
/// kills behave as for <see cref="Semaphore"/>.
/// </remarks>
/// <example>
/// <code>
/// var sem = new BoundedSemaphore(2);
/// await sem.AcquireAsync();
/// sem.Release();
/// sem.Release(); // throws SemaphoreFullException: Semaphore released too many times
/// </code>
/// </example>
public sealed class BoundedSemaphore : Semaphore
{
    /// <summary>Creates a bounded semaphore with <paramref name="value"/> permits (at most).</summary>
    public BoundedSemaphore(int value = 1)
        : base(value, SemaphoreKind.Bounded)
    {
    }
}
