using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace GeventSharp.Net;

/// <summary>
/// A resolver that speaks DNS itself (UDP, TCP for long answers) to configured name servers, over green sockets: a
/// lookup never occupies a thread, so any number run concurrently (gevent's <c>resolver_ares</c> role).
/// </summary>
/// <remarks>
/// <para>Answers <c>localhost</c> and names in <c>/etc/hosts</c> itself; asks the servers for
/// everything else (A and AAAA in parallel for <see cref="AddressFamily.Unspecified"/>), following
/// CNAME answers as the server returns them. Each server is tried in turn, <see cref="Attempts"/>
/// times, waiting up to <see cref="QueryTimeout"/> each. An answer too long for a datagram
/// (the server sets the TC flag) is asked again over TCP. No search domains, no EDNS.</para>
/// <para>NXDOMAIN, an empty answer and no answer at all are all <see cref="DnsResolutionException"/>.</para>
/// </remarks>
/// <example><code>GreenDns.Resolver = new DnsResolver(new IPEndPoint(IPAddress.Parse("127.0.0.1"), 5353));</code></example>
public sealed class DnsResolver : IGreenResolver
{
    private const ushort TypeA = 1;
    private const ushort TypePtr = 12;
    private const ushort TypeCname = 5;
    private const ushort TypeAaaa = 28;

    private readonly IPEndPoint[] _servers;
    private Dictionary<string, IPAddress[]>? _hosts;
    private int _nextId = Random.Shared.Next(0, 65536);

    /// <summary>Uses the name servers of <c>/etc/resolv.conf</c> (127.0.0.1 if none).</summary>
    public DnsResolver()
        : this(ReadResolvConf())
    {
    }

    /// <summary>Uses <paramref name="servers"/>, in order.</summary>
    public DnsResolver(params IPEndPoint[] servers)
    {
        ArgumentNullException.ThrowIfNull(servers);
        if (servers.Length == 0)
        {
            throw new ArgumentException("At least one name server is needed.", nameof(servers));
        }

        _servers = servers;
    }

    /// <summary>The name servers, in the order they are tried.</summary>
    public IReadOnlyList<IPEndPoint> Servers => _servers;

    /// <summary>How long to wait for each server's answer; 2 seconds by default.</summary>
    public TimeSpan QueryTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How many rounds over the servers; 2 by default.</summary>
    public int Attempts { get; set; } = 2;

    /// <summary>Whether to answer from <c>/etc/hosts</c> first; true by default.</summary>
    public bool UseHostsFile { get; set; } = true;

    /// <inheritdoc/>
    public async ValueTask<IPAddress[]> GetHostAddressesAsync(string host, AddressFamily family, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        GreenDns.NoteResolverUse();
        string name = host.TrimEnd('.').ToLowerInvariant();
        if (name == "localhost")
        {
            return Filter([IPAddress.Loopback, IPAddress.IPv6Loopback], family, host);
        }

        if (UseHostsFile && Hosts.TryGetValue(name, out IPAddress[]? fromFile))
        {
            IPAddress[] matching = fromFile.Where(a => family == AddressFamily.Unspecified || a.AddressFamily == family).ToArray();
            if (matching.Length > 0)
            {
                return matching;
            }
        }

        ushort[] types = family switch
        {
            AddressFamily.InterNetwork => [TypeA],
            AddressFamily.InterNetworkV6 => [TypeAaaa],
            _ => [TypeA, TypeAaaa],
        };
        List<object> answers = await QueryAsync(name, types, cancellationToken);
        IPAddress[] result = answers.OfType<IPAddress>().ToArray();
        if (result.Length == 0)
        {
            throw new DnsResolutionException(host, $"{host}: no address associated with the name.");
        }

        return result;
    }

    /// <inheritdoc/>
    public async ValueTask<string> GetHostNameAsync(IPAddress address, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(address);
        GreenDns.NoteResolverUse();
        List<object> answers = await QueryAsync(ReverseName(address), [TypePtr], cancellationToken);
        return answers.OfType<string>().FirstOrDefault()
            ?? throw new DnsResolutionException(address.ToString(), $"{address}: no name associated with the address.");
    }

    /// <summary>The <c>in-addr.arpa</c> / <c>ip6.arpa</c> name of <paramref name="address"/>.</summary>
    internal static string ReverseName(IPAddress address)
    {
        byte[] b = address.GetAddressBytes();
        var sb = new StringBuilder();
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            for (int i = 3; i >= 0; i--)
            {
                sb.Append(b[i]).Append('.');
            }

            return sb.Append("in-addr.arpa").ToString();
        }

        for (int i = 15; i >= 0; i--)
        {
            sb.Append("0123456789abcdef"[b[i] & 0xF]).Append('.').Append("0123456789abcdef"[b[i] >> 4]).Append('.');
        }

        return sb.Append("ip6.arpa").ToString();
    }

    /// <summary>Sends one query per type to each server in turn until one answers them all.</summary>
    private async ValueTask<List<object>> QueryAsync(string name, ushort[] types, CancellationToken cancellationToken)
    {
        Exception? lastError = null;
        for (int attempt = 0; attempt < Math.Max(1, Attempts); attempt++)
        {
            foreach (IPEndPoint server in _servers)
            {
                using GreenSocket sock = GreenSocket.CreateUdp(server.AddressFamily);
                sock.Timeout = QueryTimeout;
                var pending = new Dictionary<ushort, ushort>();
                foreach (ushort type in types)
                {
                    ushort id = (ushort)Interlocked.Increment(ref _nextId);
                    pending[id] = type;
                    await sock.SendToAsync(BuildQuery(id, name, type), server, cancellationToken);
                }

                var answers = new List<object>();
                bool nxdomain = false;
                byte[] buffer = new byte[1500];
                try
                {
                    while (pending.Count > 0)
                    {
                        SocketReceiveFromResult r = await sock.ReceiveFromAsync(buffer, cancellationToken);
                        if (!r.RemoteEndPoint.Equals(server) || r.ReceivedBytes < 12)
                        {
                            continue;
                        }

                        ushort id = BinaryPrimitives.ReadUInt16BigEndian(buffer);
                        if (!pending.Remove(id, out ushort type))
                        {
                            continue;
                        }

                        if ((buffer[2] & 0x02) != 0)
                        {
                            // Truncated (TC): the whole answer did not fit a datagram; ask again over TCP (RFC 7766).
                            byte[] full = await QueryTcpAsync(server, name, type, cancellationToken);
                            nxdomain |= ReadResponse(name, full, full.Length, answers);
                        }
                        else
                        {
                            nxdomain |= ReadResponse(name, buffer, r.ReceivedBytes, answers);
                        }
                    }
                }
                catch (SocketTimeoutException e)
                {
                    lastError = e;
                    continue;
                }
                catch (DnsResolutionException e) when (e.SocketErrorCode == SocketError.TryAgain)
                {
                    lastError = e;
                    continue;
                }
                catch (SocketException e) when (e is not DnsResolutionException)
                {
                    lastError = e; // e.g. the TCP retry was refused: try the next server
                    continue;
                }

                if (nxdomain && answers.Count == 0)
                {
                    throw new DnsResolutionException(name, $"{name}: no such host is known.");
                }

                return answers;
            }
        }

        throw new DnsResolutionException(name, $"{name}: the name servers did not answer.", SocketError.TryAgain, lastError);
    }

    /// <summary>Adds a response's records to <paramref name="answers"/>; true for NXDOMAIN.</summary>
    /// <exception cref="DnsResolutionException">The server answered with an error (TryAgain: the next server is asked).</exception>
    private static bool ReadResponse(string name, byte[] message, int length, List<object> answers)
    {
        int rcode = message[3] & 0xF;
        if (rcode == 3)
        {
            return true;
        }

        if (rcode != 0)
        {
            throw new DnsResolutionException(name, $"{name}: the server answered with error code {rcode}.", SocketError.TryAgain);
        }

        ParseAnswers(message.AsSpan(0, length), answers);
        return false;
    }

    /// <summary>One query over TCP (two-byte length prefix each way), for answers too long for UDP.</summary>
    private async ValueTask<byte[]> QueryTcpAsync(IPEndPoint server, string name, ushort type, CancellationToken cancellationToken)
    {
        using GreenSocket tcp = GreenSocket.CreateTcp(server.AddressFamily);
        tcp.Timeout = QueryTimeout;
        await tcp.ConnectAsync(server, cancellationToken);
        ushort id = (ushort)Interlocked.Increment(ref _nextId);
        byte[] query = BuildQuery(id, name, type);
        byte[] framed = new byte[query.Length + 2];
        BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)query.Length);
        query.CopyTo(framed, 2);
        await tcp.SendAllAsync(framed, cancellationToken);

        byte[] prefix = new byte[2];
        await ReceiveExactlyAsync(tcp, prefix, name, cancellationToken);
        byte[] message = new byte[BinaryPrimitives.ReadUInt16BigEndian(prefix)];
        await ReceiveExactlyAsync(tcp, message, name, cancellationToken);
        if (message.Length < 12 || BinaryPrimitives.ReadUInt16BigEndian(message) != id)
        {
            throw new DnsResolutionException(name, $"{name}: the server's TCP answer did not match the query.", SocketError.TryAgain);
        }

        return message;
    }

    private static async ValueTask ReceiveExactlyAsync(GreenSocket sock, byte[] buffer, string name, CancellationToken cancellationToken)
    {
        for (int done = 0; done < buffer.Length;)
        {
            int n = await sock.ReceiveAsync(buffer.AsMemory(done), cancellationToken: cancellationToken);
            if (n == 0)
            {
                throw new DnsResolutionException(name, $"{name}: the server closed the TCP connection mid-answer.", SocketError.TryAgain);
            }

            done += n;
        }
    }

    internal static byte[] BuildQuery(ushort id, string name, ushort type)
    {
        var q = new List<byte>(32 + name.Length)
        {
            (byte)(id >> 8), (byte)id, 0x01, 0x00, // recursion desired
            0, 1, 0, 0, 0, 0, 0, 0,                // one question
        };
        foreach (string label in name.Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            byte[] bytes = Encoding.ASCII.GetBytes(label);
            if (bytes.Length > 63)
            {
                throw new DnsResolutionException(name, $"{name}: a label is longer than 63 characters.");
            }

            q.Add((byte)bytes.Length);
            q.AddRange(bytes);
        }

        q.Add(0);
        q.Add((byte)(type >> 8));
        q.Add((byte)type);
        q.Add(0);
        q.Add(1); // class IN
        return q.ToArray();
    }

    /// <summary>Adds the A/AAAA addresses and PTR names of a response to <paramref name="answers"/>.</summary>
    internal static void ParseAnswers(ReadOnlySpan<byte> msg, List<object> answers)
    {
        int qd = BinaryPrimitives.ReadUInt16BigEndian(msg.Slice(4));
        int an = BinaryPrimitives.ReadUInt16BigEndian(msg.Slice(6));
        int pos = 12;
        for (int i = 0; i < qd; i++)
        {
            pos = SkipName(msg, pos) + 4;
        }

        for (int i = 0; i < an && pos + 10 <= msg.Length; i++)
        {
            pos = SkipName(msg, pos);
            ushort type = BinaryPrimitives.ReadUInt16BigEndian(msg.Slice(pos));
            int rdlength = BinaryPrimitives.ReadUInt16BigEndian(msg.Slice(pos + 8));
            int rdata = pos + 10;
            if (rdata + rdlength > msg.Length)
            {
                break;
            }

            switch (type)
            {
                case TypeA when rdlength == 4:
                case TypeAaaa when rdlength == 16:
                    answers.Add(new IPAddress(msg.Slice(rdata, rdlength)));
                    break;
                case TypePtr:
                    answers.Add(ReadName(msg, rdata));
                    break;
                case TypeCname:
                default:
                    break;
            }

            pos = rdata + rdlength;
        }
    }

    private static int SkipName(ReadOnlySpan<byte> msg, int pos)
    {
        while (pos < msg.Length)
        {
            byte len = msg[pos];
            if (len == 0)
            {
                return pos + 1;
            }

            if ((len & 0xC0) == 0xC0)
            {
                return pos + 2;
            }

            pos += len + 1;
        }

        return pos;
    }

    private static string ReadName(ReadOnlySpan<byte> msg, int pos)
    {
        var sb = new StringBuilder();
        for (int hops = 0; pos < msg.Length && hops < 64; hops++)
        {
            byte len = msg[pos];
            if (len == 0)
            {
                break;
            }

            if ((len & 0xC0) == 0xC0)
            {
                pos = ((len & 0x3F) << 8) | msg[pos + 1];
                continue;
            }

            if (sb.Length > 0)
            {
                sb.Append('.');
            }

            sb.Append(Encoding.ASCII.GetString(msg.Slice(pos + 1, Math.Min(len, msg.Length - pos - 1))));
            pos += len + 1;
        }

        return sb.ToString();
    }

    private static IPAddress[] Filter(IPAddress[] addresses, AddressFamily family, string host)
    {
        IPAddress[] r = addresses.Where(a => family == AddressFamily.Unspecified || a.AddressFamily == family).ToArray();
        return r.Length > 0 ? r : throw new DnsResolutionException(host, $"{host}: no address of family {family}.");
    }

    private Dictionary<string, IPAddress[]> Hosts => _hosts ??= ReadHostsFile();

    private static Dictionary<string, IPAddress[]> ReadHostsFile()
    {
        var map = new Dictionary<string, List<IPAddress>>(StringComparer.OrdinalIgnoreCase);
        try
        {
            foreach (string raw in File.ReadLines("/etc/hosts"))
            {
                string line = raw.Split('#')[0];
                string[] parts = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length < 2 || !IPAddress.TryParse(parts[0], out IPAddress? a))
                {
                    continue;
                }

                foreach (string n in parts.Skip(1))
                {
                    if (!map.TryGetValue(n, out List<IPAddress>? list))
                    {
                        map[n] = list = new List<IPAddress>();
                    }

                    list.Add(a);
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return map.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray(), StringComparer.OrdinalIgnoreCase);
    }

    private static IPEndPoint[] ReadResolvConf()
    {
        var servers = new List<IPEndPoint>();
        try
        {
            foreach (string line in File.ReadLines("/etc/resolv.conf"))
            {
                string[] parts = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length >= 2 && parts[0] == "nameserver" && IPAddress.TryParse(parts[1], out IPAddress? a))
                {
                    servers.Add(new IPEndPoint(a, 53));
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return servers.Count > 0 ? servers.ToArray() : [new IPEndPoint(IPAddress.Loopback, 53)];
    }
}
