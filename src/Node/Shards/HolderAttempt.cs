using Overlay.Crypto;

namespace Overlay.Node.Shards;

/// <summary>How asking one holder went: <see cref="ShardRefusal.None"/> when it succeeded, else the typed reason and one sentence.</summary>
public readonly record struct HolderAttempt(PeerId Peer, ShardRefusal Refusal, string Detail);
