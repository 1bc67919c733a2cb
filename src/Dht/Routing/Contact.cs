using Overlay.Crypto;
using Overlay.Dht.Coordinates;

namespace Overlay.Dht.Routing;

/// <summary>
/// A peer known to the routing table. The table owns the instance and updates its liveness fields;
/// callers read them. <see cref="Address"/> is opaque to the core: the transport adapter stores
/// whatever it needs to dial the peer, held in binary where it can be (<see cref="PeerAddress"/>).
/// </summary>
public sealed class Contact
{
    // A node keeps hundreds of these, so they are stored compactly (UTC ticks, a float RTT) and widened
    // by the properties: 80 bytes per object instead of 96.
    private long _lastSeenTicks;
    private float _latencyMs;

    // The coordinate the peer last reported in its own answers (X is NaN while none is known).
    private float _x = float.NaN;
    private float _y;
    private float _height;

    internal Contact(PeerId id, NetworkGroup group, PeerAddress address, DateTimeOffset lastSeen, double latencyMs)
    {
        Id = id;
        Group = group;
        Dialable = address;
        LastSeen = lastSeen;
        LatencyMs = latencyMs;
    }

    /// <summary>The peer's identifier, also its point in the keyspace.</summary>
    public PeerId Id { get; }

    /// <summary>Network group of the peer's address, used by the diversity limits.</summary>
    public NetworkGroup Group { get; }

    /// <summary>Opaque dialable address, if known (formatted from its binary form on each read; see <see cref="PeerAddress.Text"/> for when that allocates).</summary>
    public string? Address => Dialable.Text;

    /// <summary>The dialable address as held: binary, text, or none.</summary>
    internal PeerAddress Dialable { get; private set; }

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

    /// <summary>
    /// The network coordinate the peer last reported in an answer to this node (kept to float precision),
    /// or null. Answers to other nodes' lookups pass it on with the contact.
    /// </summary>
    public VivaldiCoordinate? Coordinate
    {
        get => float.IsNaN(_x) ? null : new VivaldiCoordinate(_x, _y, _height);
        internal set
        {
            if (value is { IsValid: true } c)
            {
                (_x, _y, _height) = ((float)c.X, (float)c.Y, (float)c.Height);
            }
            else
            {
                _x = float.NaN;
            }
        }
    }

    /// <summary>Requests to this peer that failed since it last answered.</summary>
    public int FailedRequests { get; internal set; }

    /// <inheritdoc />
    public override string ToString() => Id.ToShortString();

    /// <summary>
    /// Records that the peer was seen alive at <paramref name="now"/>: its failures are forgiven, and a
    /// measured RTT (not NaN), a reported coordinate and a dialable address (all optional) replace the known ones.
    /// </summary>
    internal void Seen(DateTimeOffset now, double latencyMs, PeerAddress address, VivaldiCoordinate? coordinate)
    {
        if (coordinate is not null)
        {
            Coordinate = coordinate;
        }

        LastSeen = now;
        FailedRequests = 0;
        if (!double.IsNaN(latencyMs))
        {
            LatencyMs = latencyMs;
        }

        if (!address.IsNone)
        {
            Dialable = address;
        }
    }
}
