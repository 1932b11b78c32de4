using System.Net;
using System.Net.Sockets;

namespace GeventSharp.Net;

/// <summary>A name resolver that greenlets can wait on cooperatively; see <see cref="GreenDns"/>.</summary>
/// <remarks>Failures of the "name not found" kind are <see cref="DnsResolutionException"/>, whatever the resolver.</remarks>
public interface IGreenResolver
{
    /// <summary>The addresses of <paramref name="host"/> (of <paramref name="family"/>, or both families for <see cref="AddressFamily.Unspecified"/>).</summary>
    ValueTask<IPAddress[]> GetHostAddressesAsync(string host, AddressFamily family, CancellationToken cancellationToken);

    /// <summary>The name of <paramref name="address"/> (reverse lookup).</summary>
    ValueTask<string> GetHostNameAsync(IPAddress address, CancellationToken cancellationToken);
}
