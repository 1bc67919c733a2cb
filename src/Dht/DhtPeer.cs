using Overlay.Crypto;
using Overlay.Dht.Coordinates;
using Overlay.Dht.Routing;

namespace Overlay.Dht;

/// <summary>
/// A peer as exchanged in DHT messages: id, opaque dialable address, the network group derived from it,
/// and the network coordinate it last reported to whoever names it (null when unknown).
/// </summary>
public readonly record struct DhtPeer
{
    /// <summary>A peer named by its address text (parsed once, to hold it in binary where it can be).</summary>
    public DhtPeer(PeerId id, string? address, NetworkGroup group, VivaldiCoordinate? coordinate = null)
        : this(id, PeerAddress.Of(address), group, coordinate)
    {
    }

    /// <summary>A peer whose address is already in its held form (a table contact, a decoded answer).</summary>
    internal DhtPeer(PeerId id, PeerAddress address, NetworkGroup group, VivaldiCoordinate? coordinate = null)
    {
        Id = id;
        Dialable = address;
        Group = group;
        Coordinate = coordinate;
    }

    /// <summary>The peer's identifier.</summary>
    public PeerId Id { get; init; }

    /// <summary>Opaque dialable address, or null when unknown (formatted from its binary form on each read; see <see cref="PeerAddress.Text"/> for when that allocates).</summary>
    public string? Address => Dialable.Text;

    /// <summary>Network group of the address.</summary>
    public NetworkGroup Group { get; init; }

    /// <summary>The network coordinate the peer last reported to whoever names it, or null.</summary>
    public VivaldiCoordinate? Coordinate { get; init; }

    /// <summary>The dialable address as held: binary, text, or none.</summary>
    internal PeerAddress Dialable { get; init; }
}
