namespace Overlay.Storage;

/// <summary>The outcome of a read and a length.</summary>
/// <param name="Status">What happened.</param>
/// <param name="Length">
/// Bytes written for <see cref="ShardReadStatus.Found"/> (for a ranged read, those of the range); bytes needed for
/// <see cref="ShardReadStatus.DestinationTooSmall"/>; the shard's length for <see cref="ShardReadStatus.OffsetBeyondEnd"/>; otherwise 0.
/// </param>
public readonly record struct ShardReadResult(ShardReadStatus Status, int Length);
