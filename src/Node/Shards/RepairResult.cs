namespace Overlay.Node.Shards;

/// <summary>How a repair went: new holders that gave a checked receipt, the shard bytes they copied, and one sentence.</summary>
public readonly record struct RepairResult(int Added, long BytesMoved, string Detail);
