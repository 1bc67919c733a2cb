using System.Text;
using Overlay.Crypto;
using Overlay.Transport.Tests.Contract;
using Overlay.Transport.Tls;

namespace Overlay.Transport.Tests.Tls;

public sealed class TcpTlsHandshakeTests
{
    private static readonly Random Ids = new(21);
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Dial_ServerWithForgedBinding_FailsWithHandshakeFailed()
    {
        using var liar = NodeIdentity.FromRandom(Ids);
        using var victim = NodeIdentity.FromRandom(Ids);
        using var client = NodeIdentity.FromRandom(Ids);
        var handler = new TestHandler();
        await using var server = new TcpTlsTransport(victim.PeerId, IdentityCertificate.CreateForged(liar, victim.PublicKey, TimeProvider.System), handler.Protocols, null, null, null);
        var listener = await server.ListenAsync(TransportAddress.Parse("tcp://127.0.0.1:0"));
        await using var dialer = new TcpTlsTransport(client, new TestHandler().Protocols);

        var ex = await Assert.ThrowsAsync<TransportException>(async () => await dialer.DialAsync(listener.LocalAddress).AsTask().WaitAsync(Guard));
        Assert.Equal(TransportError.HandshakeFailed, ex.Reason);
        Assert.Equal(0, handler.RequestsServed);
    }

    [Fact]
    public async Task Accept_ClientWithForgedBinding_IsRefusedAndNeverServed()
    {
        using var serverIdentity = NodeIdentity.FromRandom(Ids);
        using var liar = NodeIdentity.FromRandom(Ids);
        using var victim = NodeIdentity.FromRandom(Ids);
        var handler = new TestHandler();
        await using var server = new TcpTlsTransport(serverIdentity, handler.Protocols);
        var listener = await server.ListenAsync(TransportAddress.Parse("tcp://127.0.0.1:0"));
        await using var forger = new TcpTlsTransport(victim.PeerId, IdentityCertificate.CreateForged(liar, victim.PublicKey, TimeProvider.System), new TestHandler().Protocols, null, null, null);

        // In TLS 1.3 the client may finish before the server judges its certificate, so the
        // refusal shows either at the dial or at the first request.
        var ex = await Assert.ThrowsAsync<TransportException>(async () =>
        {
            await using var connection = await forger.DialAsync(listener.LocalAddress).AsTask().WaitAsync(Guard);
            using var response = await connection.RequestAsync(TestProtocols.Control, "hello"u8.ToArray()).AsTask().WaitAsync(Guard);
        });
        Assert.True(ex.Reason is TransportError.HandshakeFailed or TransportError.Closed or TransportError.PeerUnreachable, ex.Reason.ToString());
        Assert.Equal(0, handler.RequestsServed);
        Assert.Equal(0, server.ConnectionCount);
    }

    [Fact]
    public async Task Dial_PinnedToTheRightPeer_Succeeds()
    {
        using var serverIdentity = NodeIdentity.FromRandom(Ids);
        using var clientIdentity = NodeIdentity.FromRandom(Ids);
        await using var server = new TcpTlsTransport(serverIdentity, new TestHandler().Protocols);
        var listener = await server.ListenAsync(TransportAddress.Parse("tcp://127.0.0.1:0"));
        Assert.Equal(serverIdentity.PeerId, listener.LocalAddress.ExpectedPeer);
        await using var client = new TcpTlsTransport(clientIdentity, new TestHandler().Protocols);
        await using var connection = await client.DialAsync(TransportAddress.Parse(listener.LocalAddress.ToString())).AsTask().WaitAsync(Guard);
        using var who = await connection.RequestAsync(TestProtocols.Control, "whoami"u8.ToArray()).AsTask().WaitAsync(Guard);
        Assert.Equal(clientIdentity.PeerId.ToString(), Encoding.ASCII.GetString(who.Payload.Span));
    }

    [Fact]
    public async Task Listen_OnIPv6Loopback_Works()
    {
        using var serverIdentity = NodeIdentity.FromRandom(Ids);
        using var clientIdentity = NodeIdentity.FromRandom(Ids);
        await using var server = new TcpTlsTransport(serverIdentity, new TestHandler().Protocols);
        ITransportListener listener;
        try
        {
            listener = await server.ListenAsync(TransportAddress.Parse("tcp://[::1]:0"));
        }
        catch (TransportException ex) when (ex.Reason == TransportError.UnsupportedAddress)
        {
            Assert.Skip($"IPv6 loopback is not available here: {ex.Message}");
            return;
        }

        await using var client = new TcpTlsTransport(clientIdentity, new TestHandler().Protocols);
        await using var connection = await client.DialAsync(listener.LocalAddress).AsTask().WaitAsync(Guard);
        using var r = await connection.RequestAsync(TestProtocols.Control, "six"u8.ToArray()).AsTask().WaitAsync(Guard);
        Assert.Equal("six", Encoding.ASCII.GetString(r.Payload.Span));
    }
}
