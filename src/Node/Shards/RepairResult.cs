namespace Overlay.Node.Shards;

/// <summary>
/// How a repair went: new holders that gave a checked receipt, the shard bytes they copied, and one sentence;
/// <see cref="SuspectsRemoved"/> when the suspects it was given left the shard's book (all were replaced).
/// </summary>
public readonly record struct RepairResult(int Added, long BytesMoved, string Detail, bool SuspectsRemoved = false);
