using System.Runtime.InteropServices;
using Xunit;

namespace GeventSharp.Tests.Core;

/// <summary>
/// The hub's epoll poller on its own, with eventfds for descriptors and a recording sink: it
/// reports edges to the registered sink, at most <see cref="EpollPoller.MaxEvents"/> per wait,
/// forgets unregistered descriptors, and wakes when told to. Sockets are networking's
/// (<c>Net/SocketReadinessTests.cs</c>).
/// </summary>
public class EpollPollerTests
{
    [Fact]
    public void Auto_IsEpollOnLinux() => Gevent.Run(async () =>
    {
        Assert.Equal(OperatingSystem.IsLinux() ? PollerKind.Epoll : PollerKind.Portable, Hub.Current!.PollerKind);
        await Gevent.Sleep(0);
    });

    [Fact]
    public void Portable_CanBeChosen() => Gevent.Run(async () =>
    {
        Assert.Equal(PollerKind.Portable, Hub.Current!.PollerKind);
        await Gevent.Sleep(0);
    }, new HubOptions { Poller = PollerKind.Portable });

    [Fact]
    public void AnEdge_IsReportedToItsSink_Once()
    {
        using var poller = new EpollPoller();
        int fd = NewEventFd();
        try
        {
            var sink = new RecordingSink();
            int slot = poller.Register(fd, sink);
            Assert.True(slot >= 0);
            Assert.Equal(1, poller.Registrations);

            poller.Wait(0);
            Assert.Single(sink.Events); // registered writable: the first edge
            Assert.True((sink.Events[0] & LibC.EPOLLOUT) != 0);

            Signal(fd);
            poller.Wait(0);
            Assert.Equal(2, sink.Events.Count);
            Assert.True((sink.Events[1] & LibC.EPOLLIN) != 0);

            poller.Wait(0); // edge-triggered: no new edge, no new event
            Assert.Equal(2, sink.Events.Count);

            poller.Unregister(slot);
            Assert.Equal(0, poller.Registrations);
            Signal(fd);
            poller.Wait(0);
            Assert.Equal(2, sink.Events.Count);
        }
        finally
        {
            LibC.close(fd);
        }
    }

    [Fact]
    public void OneWait_TakesAtMostMaxEvents()
    {
        const int N = EpollPoller.MaxEvents + 10;
        using var poller = new EpollPoller();
        var sink = new RecordingSink();
        var fds = new List<int>();
        try
        {
            for (int i = 0; i < N; i++)
            {
                int fd = NewEventFd();
                fds.Add(fd);
                Assert.True(poller.Register(fd, sink) >= 0);
            }

            poller.Wait(0);
            Assert.Equal(EpollPoller.MaxEvents, sink.Events.Count); // the rest stay queued in the kernel
            poller.Wait(0);
            Assert.Equal(N, sink.Events.Count);
        }
        finally
        {
            fds.ForEach(fd => LibC.close(fd));
        }
    }

    [Fact]
    public void ABadDescriptor_IsRefusedWithItsErrno()
    {
        using var poller = new EpollPoller();
        Assert.Equal(-9, poller.Register(-1, new RecordingSink())); // EBADF
        Assert.Equal(0, poller.Registrations);
    }

    [Fact]
    public async Task Wake_EndsAWaitWithoutALimit()
    {
        using var poller = new EpollPoller();
        poller.Wake();
        poller.Wake(); // coalesced with the first
        Task wait = Task.Run(() => poller.Wait(-1));
        Assert.Same(wait, await Task.WhenAny(wait, Task.Delay(TimeSpan.FromSeconds(30)))); // else: the pending wake did not end Wait(-1)
    }

    [Fact]
    public void IoWaiters_KeepTheHubPolling()
    {
        using var poller = new EpollPoller();
        Assert.False(poller.HasActiveIo);
        poller.IoWaitStarted();
        Assert.True(poller.HasActiveIo);
        poller.IoWaitEnded();
        Assert.False(poller.HasActiveIo);
    }

    private static int NewEventFd()
    {
        int fd = LibC.eventfd(0, LibC.EFD_CLOEXEC | LibC.EFD_NONBLOCK);
        Assert.True(fd >= 0, $"eventfd failed: errno {Marshal.GetLastPInvokeError()}");
        return fd;
    }

    private static unsafe void Signal(int fd)
    {
        ulong one = 1;
        Assert.Equal(sizeof(ulong), (int)LibC.write(fd, &one, sizeof(ulong)));
    }

    private sealed class RecordingSink : IReadinessSink
    {
        public List<uint> Events { get; } = new();

        public void OnEvents(uint events) => Events.Add(events);
    }
}
