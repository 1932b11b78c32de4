namespace GeventSharp;

/// <summary>
/// A mutual-exclusion lock: a <see cref="Semaphore"/> of one permit that may not be released
/// while unlocked (what <c>threading.Lock</c> becomes under gevent's monkey patching).
/// </summary>
/// <remarks>
/// <para>Not owned: any greenlet may release it (use <see cref="RLock"/> for an owned, re-entrant
/// lock). Not re-entrant: acquiring it twice in one greenlet waits forever.</para>
/// <para>Fair (FIFO), like <see cref="Semaphore"/>. Releasing an unlocked lock throws
/// <see cref="InvalidOperationException"/>.</para>
/// <para>Name clash: <c>System.Threading.Lock</c> (.NET 9+) is imported by implicit usings; outside
/// the <c>GeventSharp</c> namespace add <c>using Lock = GeventSharp.Lock;</c>.</para>
/// </remarks>
/// <example>
/// <code>
/// var mutex = new Lock();
/// using (await mutex.AcquireScopeAsync())
/// {
///     await WriteRecordAsync(); // other greenlets wait here until the scope ends
/// }
/// </code>
/// </example>
public sealed class Lock : Semaphore
{
    /// <summary>Creates an unlocked lock.</summary>
    public Lock()
        : base(1, SemaphoreKind.Lock)
    {
    }
}
