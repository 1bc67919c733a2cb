namespace Overlay.Transport;

/// <summary>
/// One way of reaching peers (TCP+TLS, QUIC, in-memory). Like Kestrel's listener factory it only
/// binds and dials; everything after that happens on <see cref="ITransportConnection"/>. Every
/// connection it returns is authenticated: its <see cref="ITransportConnection.RemotePeer"/> was
/// proved during the handshake.
/// </summary>
public interface ITransport : IAsyncDisposable
{
    /// <summary>The scheme of addresses this transport serves.</summary>
    TransportScheme Scheme { get; }

    /// <summary>
    /// Binds <paramref name="address"/> (port 0 picks a free port; read it back from
    /// <see cref="ITransportListener.LocalAddress"/>). Inbound requests, messages and streams on
    /// accepted connections go to the protocols of the transport's <see cref="ProtocolDispatcher"/>.
    /// </summary>
    ValueTask<ITransportListener> ListenAsync(TransportAddress address, CancellationToken cancellationToken = default);

    /// <summary>
    /// Dials <paramref name="address"/> and completes the authenticated handshake. If the address
    /// pins a peer, a remote proving another identity fails with <see cref="TransportError.IdentityMismatch"/>.
    /// </summary>
    ValueTask<ITransportConnection> DialAsync(TransportAddress address, CancellationToken cancellationToken = default);
}
