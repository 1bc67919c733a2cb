namespace Overlay.Transport;

/// <summary>
/// The registry of protocol numbers this code speaks (docs/PROTOCOL.md, "Protocols"). One place, so
/// two protocols can never share a number.
/// </summary>
public static class ProtocolIds
{
    /// <summary><c>ping/1</c>: the liveness probe behind <c>overlay ping</c>; an empty request answered with an empty response.</summary>
    public static ProtocolId Ping { get; } = new(1, "ping/1", TrafficClass.Control);

    /// <summary><c>dht/1</c>: the Kademlia DHT's requests (docs/PROTOCOL.md, "DHT messages").</summary>
    public static ProtocolId Dht { get; } = new(2, "dht/1", TrafficClass.Control);

    /// <summary><c>shard/1</c>: shards stored on, fetched from and audited at their holders (docs/PROTOCOL.md, "Shard protocol"); streams only.</summary>
    public static ProtocolId Shard { get; } = new(3, "shard/1", TrafficClass.Bulk);

    /// <summary><c>reach/1</c>: a peer's clock, and a dial back to the address the asker announces (docs/PROTOCOL.md, "Reachability protocol").</summary>
    public static ProtocolId Reach { get; } = new(4, "reach/1", TrafficClass.Control);

    /// <summary><c>trust/1</c>: nodes' signed local-trust records, pulled from peers for EigenTrust (docs/PROTOCOL.md, "Trust protocol").</summary>
    public static ProtocolId Trust { get; } = new(5, "trust/1", TrafficClass.Control);
}
