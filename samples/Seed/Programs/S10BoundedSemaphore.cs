namespace GeventSharp.Samples.Seed;

/// <summary>
/// S10: six workers share a <see cref="BoundedSemaphore"/> of 2: only two hold it at once. The
/// output follows gevent 22.10 (the oracle), which differs from the blog in the last four lines.
/// </summary>
public static class S10BoundedSemaphore
{
    public static async Task Run()
    {
        var sem = new BoundedSemaphore(2);

        async Task Worker(int n)
        {
            await sem.AcquireAsync();
            Console.WriteLine($"Worker {n} acquired semaphore");
            await Gevent.Sleep(0);
            sem.Release();
            Console.WriteLine($"Worker {n} released semaphore");
        }

        await Gevent.JoinAllAsync(Enumerable.Range(0, 6).Select(i => Gevent.Spawn(Worker, i)).ToList());
    }
}
