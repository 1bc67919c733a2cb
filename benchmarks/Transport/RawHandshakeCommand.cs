using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Quic;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.Versioning;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Overlay.Crypto;
using Overlay.Transport.Tls;

namespace Overlay.Benchmarks.Transport;

/// <summary>
/// The floor under <c>transport handshake</c>: connection set-up with System.Net.Quic and with
/// TcpClient + SslStream alone, no Overlay transport around them. Both sides present the nodes'
/// certificates (mutual TLS 1.3, ALPN <c>overlay/2</c>) and check only that the peer's is the one
/// expected (pinned by hash), so the figures are the handshake of each stack and the first 64-byte
/// echo over one stream, without the identity binding checks, the frame layer or the connection's services. Whatever the QUIC column costs
/// beyond the TCP+TLS column here is libmsquic's and System.Net.Quic's, not the transport's.
/// Run: <c>Overlay.Benchmarks.dll transport handshake-raw N [tcp|quic]</c>.
/// </summary>
public static class RawHandshakeCommand
{
    private static readonly SslApplicationProtocol Alpn = new("overlay/2");

    public static async Task RunAsync(int count, bool quic)
    {
        using var serverCertificate = IdentityCertificate.Create(NodeIdentity.Generate(), TimeProvider.System);
        using var clientCertificate = IdentityCertificate.Create(NodeIdentity.Generate(), TimeProvider.System);
        var server = new Side(SslStreamCertificateContext.Create(serverCertificate, null, offline: true), clientCertificate.GetCertHashString());
        var client = new Side(SslStreamCertificateContext.Create(clientCertificate, null, offline: true), serverCertificate.GetCertHashString());
        var (dial, stop) = quic && OperatingSystem.IsLinux() ? await QuicAsync(server, client) : Tcp(server, client);
        var connected = new double[count];
        var echoed = new double[count];
        for (var i = -50; i < count; i++)
        {
            var (a, b) = await dial();
            if (i >= 0)
            {
                connected[i] = a;
                echoed[i] = b;
            }
        }

        await stop();
        Array.Sort(connected);
        Array.Sort(echoed);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"raw {(quic ? "System.Net.Quic" : "TcpClient + SslStream")} set-up, mutual TLS 1.3 with pinned certificates, {count} sequential dials: "
            + $"p50 {connected[count / 2]:F2} ms, p99 {connected[count * 99 / 100]:F2} ms; with a 64-byte echo over one stream: p50 {echoed[count / 2]:F2} ms, p99 {echoed[count * 99 / 100]:F2} ms"));
    }

    private static SslServerAuthenticationOptions ServerOptions(Side side) => new()
    {
        EnabledSslProtocols = SslProtocols.Tls13,
        ServerCertificateContext = side.Certificate,
        ClientCertificateRequired = true,
        ApplicationProtocols = [Alpn],
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        RemoteCertificateValidationCallback = (_, presented, _, _) => presented?.GetCertHashString() == side.ExpectedPeerHash,
    };

    private static SslClientAuthenticationOptions ClientOptions(Side side) => new()
    {
        TargetHost = "overlay",
        EnabledSslProtocols = SslProtocols.Tls13,
        ClientCertificateContext = side.Certificate,
        ApplicationProtocols = [Alpn],
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        RemoteCertificateValidationCallback = (_, presented, _, _) => presented?.GetCertHashString() == side.ExpectedPeerHash,
    };

    private static (Func<Task<(double, double)>> Dial, Func<Task> Stop) Tcp(Side server, Side client)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var endpoint = (IPEndPoint)listener.LocalEndpoint;
        var accepting = Task.Run(async () =>
        {
            while (true)
            {
                Socket socket;
                try
                {
                    socket = await listener.AcceptSocketAsync();
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                {
                    return;
                }

                _ = Task.Run(async () =>
                {
                    await using var tls = new SslStream(new NetworkStream(socket, ownsSocket: true));
                    await tls.AuthenticateAsServerAsync(ServerOptions(server));
                    await EchoAsync(tls);
                });
            }
        });

        return (Dial, Stop);

        async Task<(double, double)> Dial()
        {
            var start = Stopwatch.GetTimestamp();
            using var tcp = new TcpClient { NoDelay = true };
            await tcp.ConnectAsync(endpoint);
            await using var tls = new SslStream(tcp.GetStream());
            await tls.AuthenticateAsClientAsync(ClientOptions(client));
            var connected = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            await PingAsync(tls);
            return (connected, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }

        async Task Stop()
        {
            listener.Stop();
            await accepting;
        }
    }

    [SupportedOSPlatform("linux")]
    private static async Task<(Func<Task<(double, double)>> Dial, Func<Task> Stop)> QuicAsync(Side server, Side client)
    {
        var listener = await QuicListener.ListenAsync(new QuicListenerOptions
        {
            ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            ApplicationProtocols = [Alpn],
            ConnectionOptionsCallback = (_, _, _) => ValueTask.FromResult(new QuicServerConnectionOptions
            {
                DefaultStreamErrorCode = 0,
                DefaultCloseErrorCode = 0,
                MaxInboundBidirectionalStreams = 4,
                ServerAuthenticationOptions = ServerOptions(server),
            }),
        });
        var endpoint = listener.LocalEndPoint;
        var accepting = Task.Run(async () =>
        {
            while (true)
            {
                QuicConnection connection;
                try
                {
                    connection = await listener.AcceptConnectionAsync();
                }
                catch (Exception ex) when (ex is QuicException or ObjectDisposedException or OperationCanceledException)
                {
                    return;
                }

                _ = Task.Run(async () =>
                {
                    await using var c = connection;
                    await using (var stream = await c.AcceptInboundStreamAsync())
                    {
                        await EchoAsync(stream);
                    }

                    // The dialler closes; closing here first could discard the echo before it left.
                    try
                    {
                        await using var none = await c.AcceptInboundStreamAsync();
                    }
                    catch (QuicException)
                    {
                    }
                });
            }
        });

        return (Dial, Stop);

        async Task<(double, double)> Dial()
        {
            var start = Stopwatch.GetTimestamp();
            await using var connection = await QuicConnection.ConnectAsync(new QuicClientConnectionOptions
            {
                RemoteEndPoint = endpoint,
                DefaultStreamErrorCode = 0,
                DefaultCloseErrorCode = 0,
                ClientAuthenticationOptions = ClientOptions(client),
            });
            var connected = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            await using (var stream = await connection.OpenOutboundStreamAsync(QuicStreamType.Bidirectional))
            {
                await PingAsync(stream);
            }

            var echoed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            await connection.CloseAsync(0);
            return (connected, echoed);
        }

        async Task Stop()
        {
            await listener.DisposeAsync();
            await accepting;
        }
    }

    /// <summary>One end's certificate and the hash of the certificate it expects from the other.</summary>
    private sealed record Side(SslStreamCertificateContext Certificate, string ExpectedPeerHash);

    private static async Task PingAsync(Stream stream)
    {
        var buffer = new byte[64];
        await stream.WriteAsync(buffer);
        await stream.ReadExactlyAsync(buffer);
    }

    private static async Task EchoAsync(Stream stream)
    {
        var buffer = new byte[64];
        try
        {
            await stream.ReadExactlyAsync(buffer);
            await stream.WriteAsync(buffer);
            await stream.FlushAsync();
        }
        catch (Exception ex) when (ex is IOException or QuicException or EndOfStreamException or ObjectDisposedException)
        {
            // The dialler went away first; nothing to measure here.
        }
    }
}
