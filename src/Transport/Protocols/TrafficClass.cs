namespace Overlay.Transport;

/// <summary>
/// How a protocol's traffic is scheduled on a connection. Control traffic never waits behind bulk
/// traffic: over TCP+TLS it has a queue of its own with strict priority, and bulk bytes leave in
/// frames of at most <see cref="Framing.FrameHeader.BulkFrameBytes"/>; over QUIC every stream is a
/// QUIC stream of its own, apart from the stream that carries requests and messages.
/// </summary>
public enum TrafficClass : byte
{
    /// <summary>Small, latency-sensitive requests and messages (DHT, ping, trust, audit challenges).</summary>
    Control = 0,

    /// <summary>Shard and file bytes: streams only, scheduled after every queued control frame.</summary>
    Bulk = 1,
}
