using Overlay.Storage;

namespace Overlay.Node.Shards;

/// <summary>One repair as the owner's maintenance ran it: when its first suspect was noticed, when the first new holder was asked (null when none could be), when it ended, and how it went.</summary>
public readonly record struct RepairRecord(ShardId Shard, DateTimeOffset SuspectedAt, DateTimeOffset? StartedAt, DateTimeOffset EndedAt, RepairResult Result);
