using Overlay.Crypto;
using Overlay.Storage;
using Overlay.Transport;

namespace Overlay.Node.Shards;

/// <summary>One holder the owner's probe round asks: where it is, and every shard it keeps for the owner with its size, ids ascending.</summary>
public sealed record ProbeTarget(PeerId Holder, TransportAddress Address, IReadOnlyList<(ShardId Id, int Size)> Shards);
