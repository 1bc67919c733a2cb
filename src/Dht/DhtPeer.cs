using Overlay.Crypto;
using Overlay.Dht.Coordinates;
using Overlay.Dht.Routing;

namespace Overlay.Dht;

/// <summary>
/// A peer as exchanged in DHT messages: id, opaque dialable address, the network group derived from it,
/// and the network coordinate it last reported to whoever names it (null when unknown).
/// </summary>
public readonly record struct DhtPeer(PeerId Id, string? Address, NetworkGroup Group, VivaldiCoordinate? Coordinate = null);
