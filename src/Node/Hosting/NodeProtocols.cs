using Overlay.Transport;

namespace Overlay.Node.Hosting;

/// <summary>
/// The protocols a node serves, composed in one place. Each is registered with the node's
/// <see cref="ProtocolDispatcher"/>; one served by a part of the node (<see cref="DhtService"/>) is registered without a
/// handler (peers are answered <c>Unavailable</c>) and its part attaches the handler when it has
/// started and detaches it when it stops. A new protocol is one more line here and an attach in its
/// part; nothing else on the inbound path changes.
/// </summary>
public static class NodeProtocols
{
    /// <summary>The node's dispatcher: <c>ping/1</c> served from the start, <c>dht/1</c> once <see cref="DhtService"/> runs, <c>shard/1</c> once <see cref="ShardExchangeService"/> runs, <c>reach/1</c> once <see cref="Reachability.ReachabilityService"/> runs, <c>trust/1</c> once <see cref="Trust.TrustExchangeService"/> runs.</summary>
    public static ProtocolDispatcher Create()
    {
        var protocols = new ProtocolDispatcher();
        protocols.Register(ProtocolIds.Ping, new PingProtocolHandler());
        protocols.Register(ProtocolIds.Dht);
        protocols.Register(ProtocolIds.Shard);
        protocols.Register(ProtocolIds.Reach);
        protocols.Register(ProtocolIds.Trust);
        return protocols;
    }
}
