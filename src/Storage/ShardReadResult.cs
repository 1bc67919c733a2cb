namespace Overlay.Storage;

/// <summary>The outcome of a read and the shard's length.</summary>
/// <param name="Status">What happened.</param>
/// <param name="Length">Bytes written for <see cref="ShardReadStatus.Found"/>, bytes needed for <see cref="ShardReadStatus.DestinationTooSmall"/>, otherwise 0.</param>
public readonly record struct ShardReadResult(ShardReadStatus Status, int Length);
