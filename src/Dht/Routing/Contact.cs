using Overlay.Crypto;

namespace Overlay.Dht.Routing;

/// <summary>
/// A peer known to the routing table. The table owns the instance and updates its liveness fields;
/// callers read them. <see cref="Address"/> is opaque to the core: the transport adapter stores
/// whatever it needs to dial the peer.
/// </summary>
public sealed class Contact
{
    // A node keeps hundreds of these, so they are stored compactly (UTC ticks, a float RTT) and widened
    // by the properties: 80 bytes per object instead of 96.
    private long _lastSeenTicks;
    private float _latencyMs;

    internal Contact(PeerId id, NetworkGroup group, string? address, DateTimeOffset lastSeen, double latencyMs)
    {
        Id = id;
        Group = group;
        Address = address;
        LastSeen = lastSeen;
        LatencyMs = latencyMs;
    }

    /// <summary>The peer's identifier, also its point in the keyspace.</summary>
    public PeerId Id { get; }

    /// <summary>Network group of the peer's address, used by the diversity limits.</summary>
    public NetworkGroup Group { get; }

    /// <summary>Opaque dialable address, if known.</summary>
    public string? Address { get; internal set; }

    /// <summary>When the peer last answered or sent us a request (UTC).</summary>
    public DateTimeOffset LastSeen
    {
        get => new(_lastSeenTicks, TimeSpan.Zero);
        internal set => _lastSeenTicks = value.UtcTicks;
    }

    /// <summary>Smoothed or predicted round-trip time in milliseconds (kept to float precision); NaN when unknown.</summary>
    public double LatencyMs
    {
        get => _latencyMs;
        internal set => _latencyMs = (float)value;
    }

    /// <summary>Requests to this peer that failed since it last answered.</summary>
    public int FailedRequests { get; internal set; }

    /// <inheritdoc />
    public override string ToString() => Id.ToShortString();
}
