using Overlay.Crypto;

namespace Overlay.Dht.Lookup;

/// <summary>A request the lookup wants sent: ask <see cref="Peer"/> for the nodes closest to the target.</summary>
/// <param name="Peer">The peer to query.</param>
/// <param name="Path">The disjoint path this query belongs to (0 when disjoint paths are off).</param>
public readonly record struct LookupRequest(PeerId Peer, int Path);
