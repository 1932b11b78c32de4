using System.Runtime.CompilerServices;

namespace GeventSharp.TestSupport;

/// <summary>
/// Raises the thread pool's minimum thread counts when a test assembly loads. xUnit runs test
/// classes in parallel and every <c>Gevent.Run</c> blocks a thread for its whole test; on a 2-core
/// runner the pool's minimum is 2, and past it the pool adds threads about twice a second. A
/// foreign completion (a socket connect in StackExchange.Redis, a Playwright message) could then
/// wait seconds for a thread, and a client's own timeout fire first: CI saw Redis's 2 s connect
/// cancelled with 4 busy workers and a minimum of 2. Linked into both test projects.
/// </summary>
internal static class ThreadPoolFloor
{
    private const int Minimum = 64;

#pragma warning disable CA2255 // a test assembly's module initializer: run before any test, once
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Raise()
    {
        ThreadPool.GetMinThreads(out int workers, out int io);
        ThreadPool.SetMinThreads(Math.Max(workers, Minimum), Math.Max(io, Minimum));
    }
}
