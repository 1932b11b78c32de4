using System.Net;
using System.Net.Sockets;

namespace GeventSharp.Net;

public sealed partial class HubGroup
{
    /// <summary>Accepts on hub 0 for every hub and hands the connections out in turn (no <c>SO_REUSEPORT</c>).</summary>
    private async Task AcceptForAllAsync(GreenSocket listener)
    {
        int next = 0;
        while (!listener.Closed)
        {
            Socket accepted;
            try
            {
                accepted = await listener.AcceptDetachedAsync();
            }
            catch (Exception e) when (listener.Closed && e is not GreenletExit and not Timeout)
            {
                return; // the group is stopping
            }
            catch (SocketException)
            {
                await Gevent.Sleep(0.01); // EMFILE and the like: the server's accept loop backs off the same way
                continue;
            }

            Member member = _members[next];
            next = (next + 1) % _members.Length;
            try
            {
                await member.Feed!.PutAsync(accepted); // waits while that hub is behind: connections queue in the backlog
            }
            catch (QueueShutDownException)
            {
                accepted.Dispose(); // that hub has finished: the group is stopping
            }
            catch
            {
                accepted.Dispose(); // killed while waiting (the group is stopping)
                throw;
            }
        }
    }

    /// <summary>One hub of a group: what its servers need to know, and how to stop it.</summary>
    internal sealed class Member(HubGroup group, int index)
    {
        [ThreadStatic]
        private static Member? t_current;

        private bool _feedTaken;

        /// <summary>The group member this thread's hub is, if any.</summary>
        public static Member? Current
        {
            get => t_current;
            set => t_current = value;
        }

        public int Index { get; } = index;

        public Hub? Hub { get; set; }

        /// <summary>The address this hub's server is created for.</summary>
        public IPEndPoint? EndPoint { get; set; }

        public IGreenServer? Server { get; set; }

        /// <summary>Hand-off mode: the connections hub 0 accepted for this hub.</summary>
        public CrossHubQueue<Socket>? Feed { get; set; }

        /// <summary>Hand-off mode, hub 0: the one listener.</summary>
        public GreenSocket? Listener { get; set; }

        /// <summary>True when <paramref name="address"/> is the group's: a server there shares the port.</summary>
        public bool Serves(IPEndPoint address) => address.Equals(EndPoint);

        /// <summary>True when a stream server on <paramref name="address"/> is to bind with <c>SO_REUSEPORT</c>.</summary>
        public bool ReusePortFor(IPEndPoint address) => group.ReusePort && group.Count > 1 && Serves(address);

        /// <summary>The hand-off feed, for the first stream server started on the group's address on this hub.</summary>
        public CrossHubQueue<Socket>? TakeFeed(IPEndPoint address)
        {
            if (Feed is null || _feedTaken || !Serves(address))
            {
                return null;
            }

            _feedTaken = true;
            return Feed;
        }

        /// <summary>Any thread: asks the hub to stop its server (and, on hub 0 in hand-off mode, to stop accepting first).</summary>
        public void PostStop(TimeSpan? timeout)
        {
            Hub?.TryPostInternal(
                _ =>
                {
                    Listener?.Close();
                    IGreenServer server = Server!;
                    Gevent.Spawn(() => server.StopAsync(timeout)).Name = "HubGroup.stop";
                },
                null);
        }

        /// <summary>After the hub finished: closes the connections handed over that it never took.</summary>
        public void CloseFeed()
        {
            if (Feed is not { } feed)
            {
                return;
            }

            feed.Shutdown();
            while (feed.TryGet(out Socket? socket))
            {
                socket.Dispose();
            }
        }
    }
}
