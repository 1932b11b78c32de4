using Xunit;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using GeventSharp.Net;

namespace GeventSharp.Tests.Net;

public class TlsTests
{
    public static TheoryData<PollerKind> Pollers => NetHub.Pollers;

    internal static X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using X509Certificate2 cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pfx), null);
    }

    [Theory]
    [MemberData(nameof(Pollers))]
    public void TlsServer_AndSslStreamClient_ExchangeLines(PollerKind poller)
    {
        using X509Certificate2 cert = SelfSigned();
        NetHub.Run(poller, async () =>
        {
            await using var server = StreamServer.CreateTls(NetHub.Loopback0, cert, async (tls, peer) =>
            {
                using var reader = new StreamReader(tls, leaveOpen: true);
                using var writer = new StreamWriter(tls, leaveOpen: true) { AutoFlush = true };
                string? line;
                while ((line = await reader.ReadLineAsync(Greenlet.Current!.CancellationToken)) is not null)
                {
                    await writer.WriteLineAsync(line.ToUpperInvariant());
                }
            });
            server.Start();

            using GreenSocket sock = await GreenSocket.CreateConnectionAsync("127.0.0.1", server.Address.Port, TimeSpan.FromSeconds(10));
            await using var client = new SslStream(sock.GetStream(), leaveInnerStreamOpen: false, (_, c, _, _) => c is not null && c.GetCertHashString() == cert.GetCertHashString());
            await client.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost" }, Greenlet.Current!.CancellationToken);
            using var r = new StreamReader(client, leaveOpen: true);
            using var w = new StreamWriter(client, leaveOpen: true) { AutoFlush = true };
            await w.WriteLineAsync("hello tls");
            Assert.Equal("HELLO TLS", await r.ReadLineAsync(Greenlet.Current!.CancellationToken));
            await w.WriteLineAsync("again");
            Assert.Equal("AGAIN", await r.ReadLineAsync(Greenlet.Current!.CancellationToken));
        });
    }

    [Fact]
    public void TlsServer_LoadsCertificateAndKeyFromPemFiles()
    {
        using X509Certificate2 cert = SelfSigned();
        string dir = Directory.CreateTempSubdirectory("geventsharp-tls").FullName;
        try
        {
            string crt = Path.Combine(dir, "server.crt");
            string key = Path.Combine(dir, "server.key");
            File.WriteAllText(crt, cert.ExportCertificatePem());
            File.WriteAllText(key, cert.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
            NetHub.Run(PollerKind.Epoll, async () =>
            {
                await using var server = StreamServer.CreateTls(NetHub.Loopback0, crt, key, async (tls, peer) => await tls.WriteAsync("pem ok"u8.ToArray(), Greenlet.Current!.CancellationToken));
                server.Start();
                using GreenSocket sock = await GreenSocket.CreateConnectionAsync("127.0.0.1", server.Address.Port, TimeSpan.FromSeconds(10));
                await using var client = new SslStream(sock.GetStream(), false, (_, c, _, _) => c is not null && c.GetCertHashString() == cert.GetCertHashString());
                await client.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost" }, Greenlet.Current!.CancellationToken);
                byte[] buffer = new byte[16];
                int n = await client.ReadAsync(buffer, Greenlet.Current!.CancellationToken);
                Assert.Equal("pem ok", System.Text.Encoding.ASCII.GetString(buffer, 0, n));
            });
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void TlsServer_SurvivesAClientThatIsNotTls()
    {
        using X509Certificate2 cert = SelfSigned();
        NetHub.Run(PollerKind.Epoll, async () =>
        {
            await using var server = StreamServer.CreateTls(NetHub.Loopback0, cert, (tls, peer) => Task.CompletedTask);
            server.Start();
            using GreenSocket sock = GreenSocket.CreateTcp();
            sock.Timeout = TimeSpan.FromSeconds(10);
            await sock.ConnectAsync(server.Address);
            await sock.SendAllAsync("GET / HTTP/1.0\r\n\r\n"u8.ToArray());
            byte[] buffer = new byte[256];
            while (await sock.ReceiveAsync(buffer) > 0)
            {
            }

            Assert.True(server.Started);
        });
    }
}
