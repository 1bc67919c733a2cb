using Overlay.Crypto;

namespace Overlay.Transport.Tests.Contract;

/// <summary>A transport with one listener, as the contract tests use it.</summary>
public sealed record TestNode(ITransport Transport, ITransportListener Listener, PeerId Peer, TestHandler Handler)
{
    public TransportAddress Address => Listener.LocalAddress;
}
