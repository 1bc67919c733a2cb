using Overlay.Crypto;
using Overlay.Transport;

namespace Overlay.Node.Shards;

/// <summary>A peer a shard may be placed on, and where to dial it (its PeerId pinned).</summary>
public readonly record struct HolderCandidate(PeerId Peer, TransportAddress Address);
