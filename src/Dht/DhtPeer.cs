using Overlay.Crypto;
using Overlay.Dht.Routing;

namespace Overlay.Dht;

/// <summary>A peer as exchanged in DHT messages: id, opaque dialable address and the network group derived from it.</summary>
public readonly record struct DhtPeer(PeerId Id, string? Address, NetworkGroup Group);
