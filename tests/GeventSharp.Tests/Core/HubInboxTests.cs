using Xunit;

namespace GeventSharp.Tests.Core;

/// <summary>Work posted from other threads is never lost, however it races with the hub's drain.</summary>
public class HubInboxTests
{
    [Fact]
    public void SixteenThreads_Posting100000Each_LoseNothing()
    {
        const int threads = 16, perThread = 100_000;
        long received = 0;
        Gevent.Run(async () =>
        {
            Hub hub = Hub.Current!;
            using (hub.KeepAlive())
            {
                Thread[] posters = Enumerable.Range(0, threads).Select(_ => new Thread(() =>
                {
                    for (int i = 0; i < perThread; i++)
                    {
                        hub.Post(() => received++);
                    }
                })).ToArray();
                foreach (Thread t in posters)
                {
                    t.Start();
                }

                // Keep the hub turning (and draining) while the posters run.
                while (posters.Any(t => t.IsAlive))
                {
                    await Gevent.Sleep(0.001);
                }

                while (Volatile.Read(ref received) < threads * perThread)
                {
                    await Gevent.Sleep(0.001);
                }
            }
        });

        Assert.Equal(threads * perThread, received);
    }
}
