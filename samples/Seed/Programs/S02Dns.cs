using System.Net;
using System.Net.Sockets;

namespace GeventSharp.Samples.Seed;

/// <summary>
/// S2/S3: three host lookups in three greenlets. A blocking lookup (<see cref="Dns.GetHostAddresses(string)"/>)
/// stalls the hub, so the times add up (S2, gevent without monkey patching); an awaited one
/// (<see cref="Dns.GetHostAddressesAsync(string)"/>) lets the lookups overlap (S3, with patching).
/// </summary>
public static class S02Dns
{
    /// <summary>Names that resolve offline, as in the oracle: localhost, this host's name, a literal.</summary>
    private static string[] OfflineNames => new[] { "localhost", Dns.GetHostName(), "127.0.0.1" };

    /// <summary>The blog's names; on a machine without DNS each lookup fails.</summary>
    private static readonly string[] s_originalNames = { "www.baidu.com", "www.gevent.org", "www.python.org" };

    public static Task Blocking() => Run(OfflineNames, cooperative: false);

    public static Task BlockingOriginalUrls() => Run(s_originalNames, cooperative: false);

    public static Task Cooperative() => Run(OfflineNames, cooperative: true);

    public static Task CooperativeOriginalUrls() => Run(s_originalNames, cooperative: true);

    /// <summary>Python's <c>socket.gethostbyname</c>: the first IPv4 address; blocks the hub.</summary>
    public static string GetHostByName(string host) => FirstIPv4(Dns.GetHostAddresses(host), host);

    /// <summary>The cooperative lookup: the greenlet waits, the hub keeps running others.</summary>
    public static async Task<string> GetHostByNameAsync(string host) => FirstIPv4(await Dns.GetHostAddressesAsync(host), host);

    private static string FirstIPv4(IPAddress[] addresses, string host)
        => (addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
            ?? throw new SocketException((int)SocketError.HostNotFound, $"{host}: no IPv4 address")).ToString();

    private static async Task Run(string[] urls, bool cooperative)
    {
        if (cooperative)
        {
            // As gevent's resolver does: name-lookup failures are results, not crashes to report.
            Hub.Current!.NotErrors.Add(typeof(SocketException));
        }

        List<Greenlet<string>> jobs = cooperative
            ? urls.Select(url => Gevent.Spawn(GetHostByNameAsync, url)).ToList()
            : urls.Select(url => Gevent.Spawn(GetHostByName, url)).ToList();
        await Gevent.JoinAllAsync(jobs, timeoutSeconds: 5);
        Console.WriteLine(Py.List(jobs.Select(job => job.Value)));
    }
}
