namespace GeventSharp;

/// <summary>
/// A <see cref="Semaphore"/> with unlimited permits: acquiring never blocks and releasing does
/// nothing (gevent's <c>gevent.lock.DummySemaphore</c>). Stands in where a semaphore is optional,
/// e.g. an unbounded <see cref="Pool"/>.
/// </summary>
/// <example>
/// <code>
/// Semaphore limit = maxConcurrency is int n ? new Semaphore(n) : new DummySemaphore();
/// using (await limit.AcquireScopeAsync()) { /* ... */ }
/// </code>
/// </example>
public sealed class DummySemaphore : Semaphore
{
    /// <summary>Creates a semaphore that never blocks.</summary>
    public DummySemaphore()
        : base(0, SemaphoreKind.Dummy)
    {
    }
}
