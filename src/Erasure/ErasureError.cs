namespace Overlay.Erasure;

/// <summary>Why an erasure-coding call refused its input. Each value names one check.</summary>
public enum ErasureError
{
    /// <summary>No error.</summary>
    None = 0,

    /// <summary>The number of data shards k is below 1.</summary>
    InvalidDataShardCount,

    /// <summary>The number of parity shards m is below 1.</summary>
    InvalidParityShardCount,

    /// <summary>k + m exceeds <see cref="ReedSolomonCodec.MaxTotalShards"/> (the field has 256 elements).</summary>
    TooManyShards,

    /// <summary>A span of shards, buffers or presence flags does not hold the number of entries the code needs.</summary>
    ShardCountMismatch,

    /// <summary>Shards of one stripe differ in length (or a buffer to be written is not the stripe's shard length).</summary>
    ShardLengthMismatch,

    /// <summary>The shards are zero bytes long.</summary>
    EmptyShards,

    /// <summary>Fewer than k shards are present, so the stripe cannot be decoded.</summary>
    TooFewShards,

    /// <summary>The parity shards are not the parity of the data shards: some shard is corrupt.</summary>
    ParityMismatch,
}
