using System.Net;
using System.Net.Quic;
using System.Net.Security;
using System.Runtime.Versioning;
using System.Text;
using Microsoft.Extensions.Logging;
using Overlay.Crypto;
using Overlay.Transport.Quic;
using Overlay.Transport.Tests.Contract;
using Overlay.Transport.Tls;

namespace Overlay.Transport.Tests.Quic;

/// <summary>
/// What only QUIC has: its ALPN check, its close codes, its idle timeout and keep-alive, and the
/// node's transport set choosing it. Tests that need libmsquic skip with the reason where it is missing.
/// </summary>
[SupportedOSPlatform("linux")]
[SupportedOSPlatform("windows")]
[SupportedOSPlatform("macos")]
public sealed class QuicTransportTests
{
    private static readonly Random Ids = new(61);
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    private static void RequireQuic()
    {
        if (!QuicTestLibrary.IsAvailable(out var reason))
        {
            Assert.Skip(reason);
        }
    }

    [Theory]
    [InlineData(QuicError.ConnectionAborted, 0L, TransportError.Closed)]
    [InlineData(QuicError.ConnectionAborted, 1L, TransportError.PeerUnreachable)]
    [InlineData(QuicError.ConnectionAborted, 77L, TransportError.PeerUnreachable)]
    [InlineData(QuicError.StreamAborted, 0L, TransportError.PeerUnreachable)]
    [InlineData(QuicError.OperationAborted, null, TransportError.Closed)]
    [InlineData(QuicError.ConnectionIdle, null, TransportError.Timeout)]
    [InlineData(QuicError.ConnectionTimeout, null, TransportError.Timeout)]
    [InlineData(QuicError.ConnectionRefused, null, TransportError.PeerUnreachable)]
    [InlineData(QuicError.InternalError, null, TransportError.PeerUnreachable)]
    public void ReasonOf_QuicFailure_IsTheTypedReason(QuicError error, long? code, TransportError expected)
    {
        Assert.Equal(expected, QuicTransport.ReasonOf(new QuicException(error, code, "test")));
    }

    [Fact]
    public void ReasonOf_NonQuicFailure_LeavesTheDefault()
    {
        Assert.Null(QuicTransport.ReasonOf(new IOException("not QUIC")));
    }

    [Fact]
    public async Task TransportSet_WithQuic_ServesQuicAndPrefersItWhenDialling()
    {
        RequireQuic();
        using var serverIdentity = NodeIdentity.FromRandom(Ids);
        using var clientIdentity = NodeIdentity.FromRandom(Ids);
        var logger = new RecordingLogger();
        await using var server = TransportSet.Create(serverIdentity, new TestHandler().Protocols, QuicTestLibrary.WithLibrary(null), logger: logger);
        await using var client = TransportSet.Create(clientIdentity, new TestHandler().Protocols, QuicTestLibrary.WithLibrary(null));

        Assert.True(server.QuicAvailable);
        Assert.Null(server.QuicUnavailableReason);
        Assert.Equal(TransportScheme.Quic, server.Scheme);
        Assert.DoesNotContain(logger.Entries, e => e.Level >= LogLevel.Warning);

        var quic = await server.ListenAsync(TransportAddress.Parse("quic://127.0.0.1:0"));
        var tcp = await server.ListenAsync(TransportAddress.Parse("tcp://127.0.0.1:0"));
        Assert.Equal(TransportScheme.Quic, quic.LocalAddress.Scheme);

        // Announced TCP first: the dialler still goes to QUIC.
        await using var connection = await client.DialAnyAsync([tcp.LocalAddress, quic.LocalAddress]).AsTask().WaitAsync(Guard);
        Assert.Equal(TransportScheme.Quic, connection.RemoteAddress.Scheme);
        Assert.Equal(serverIdentity.PeerId, connection.RemotePeer);
        using var response = await connection.RequestAsync(TestProtocols.Control, "over quic"u8.ToArray()).AsTask().WaitAsync(Guard);
        Assert.Equal("over quic", Encoding.ASCII.GetString(response.Payload.Span));
    }

    [Fact]
    public async Task Listen_DiallerWithAnotherAlpn_IsRefusedAndTheListenerKeepsServing()
    {
        RequireQuic();
        await using var network = new QuicTestNetwork();
        var server = await network.StartNodeAsync();

        // Everything as a real dialler sends it (an identity-bound client certificate, TLS 1.3)
        // except the application protocol.
        using var identity = NodeIdentity.FromRandom(Ids);
        using var certificate = IdentityCertificate.Create(identity, TimeProvider.System);
        var context = SslStreamCertificateContext.Create(certificate, additionalCertificates: null, offline: true);
        var tls = TlsHandshake.ClientOptions(context, new TlsHandshake(server.Peer, TimeProvider.System));
        tls.ApplicationProtocols = [new SslApplicationProtocol("h3")];
        var options = new QuicClientConnectionOptions
        {
            RemoteEndPoint = new IPEndPoint(IPAddress.Loopback, server.Address.Port),
            DefaultStreamErrorCode = 1,
            DefaultCloseErrorCode = 0,
            ClientAuthenticationOptions = tls,
        };

        var ex = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var connection = await QuicConnection.ConnectAsync(options).AsTask().WaitAsync(Guard);
        });
        Assert.True(ex is QuicException or System.Security.Authentication.AuthenticationException, ex.ToString());

        var client = await network.StartNodeAsync();
        await using var ok = await client.Transport.DialAsync(server.Address).AsTask().WaitAsync(Guard);
        using var response = await ok.RequestAsync(TestProtocols.Control, "after"u8.ToArray()).AsTask().WaitAsync(Guard);
        Assert.Equal("after", Encoding.ASCII.GetString(response.Payload.Span));
    }

    [Fact]
    public async Task Connection_WhenThePathGoesSilent_ClosesWithTimeout()
    {
        RequireQuic();
        await using var network = new QuicTestNetwork();
        var server = await network.StartNodeAsync();
        var client = await network.StartNodeAsync(new TransportOptions
        {
            KeepAliveInterval = TimeSpan.FromMilliseconds(200),
            IdleTimeout = TimeSpan.FromSeconds(1),
        });
        await using var relay = new UdpRelay(server.Address.Port);
        var connection = await client.Transport.DialAsync(server.Address.WithPort(relay.Port)).AsTask().WaitAsync(Guard);
        using (var response = await connection.RequestAsync(TestProtocols.Control, "through the relay"u8.ToArray()).AsTask().WaitAsync(Guard))
        {
            Assert.Equal("through the relay", Encoding.ASCII.GetString(response.Payload.Span));
        }

        // Nothing arrives any more and nothing says goodbye: keep-alive and the idle timeout must notice.
        relay.Cut();
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (connection.Closed.Register(() => closed.TrySetResult()))
        {
            await closed.Task.WaitAsync(Guard);
        }

        Assert.Equal(TransportError.Timeout, connection.CloseReason);
        Assert.True(relay.Dropped > 0);
        var ex = await Assert.ThrowsAsync<TransportException>(async () => await connection.RequestAsync(TestProtocols.Control, "x"u8.ToArray()));
        Assert.Equal(TransportError.Timeout, ex.Reason);
        await connection.DisposeAsync();
    }
}
