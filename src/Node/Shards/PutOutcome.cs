using Overlay.Storage;

namespace Overlay.Node.Shards;

/// <summary>The result of placing a shard: its id and size, the holders that now keep it (with receipts), and how each peer asked answered.</summary>
public sealed record PutOutcome(ShardId Id, int Size, IReadOnlyList<ShardHolding> Holders, IReadOnlyList<HolderAttempt> Attempts);
