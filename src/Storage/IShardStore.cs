using System.Buffers;

namespace Overlay.Storage;

/// <summary>
/// A content-addressed store of shards (up to <see cref="StorageOptions.MaxShardBytes"/> bytes each,
/// addressed by the BLAKE3-256 of their bytes). Puts are acknowledged only once committed; every read
/// re-hashes the bytes and never serves a shard that does not match its id. Thread-safe.
/// </summary>
public interface IShardStore : IAsyncDisposable
{
    /// <summary>
    /// Stores <paramref name="data"/>; completes after the transaction holding it committed. The bytes
    /// are hashed on the calling thread and written by the writer from the caller's memory (no copy),
    /// so they must not change until the returned task completes.
    /// </summary>
    /// <exception cref="StorageException">ShardTooLarge, QuotaExceeded, DiskFull, Closed or IoError; nothing was written.</exception>
    ValueTask<PutResult> PutAsync(ReadOnlyMemory<byte> data, ShardPutOptions options = default, CancellationToken cancellationToken = default);

    /// <summary>Stores the bytes of <paramref name="data"/> (may be multi-segment, e.g. from a pipe) without joining them.</summary>
    /// <exception cref="StorageException">As for the memory overload.</exception>
    ValueTask<PutResult> PutAsync(ReadOnlySequence<byte> data, ShardPutOptions options = default, CancellationToken cancellationToken = default);

    /// <summary>Stores the bytes <paramref name="data"/> yields until its end, hashing as they arrive.</summary>
    /// <exception cref="StorageException">As for the memory overload; ShardTooLarge as soon as the stream passes the limit.</exception>
    ValueTask<PutResult> PutAsync(Stream data, ShardPutOptions options = default, CancellationToken cancellationToken = default);

    /// <summary>Reads and verifies a shard into <paramref name="destination"/>.</summary>
    ShardReadResult Read(in ShardId id, Span<byte> destination);

    /// <summary>Reads and verifies a shard into <paramref name="destination"/> (e.g. a PipeWriter); advances it only when the shard verified.</summary>
    ShardReadResult Read(in ShardId id, IBufferWriter<byte> destination);

    /// <summary>Reads and verifies a shard, then writes it to <paramref name="destination"/>.</summary>
    ValueTask<ShardReadResult> ReadAsync(ShardId id, Stream destination, CancellationToken cancellationToken = default);

    /// <summary>True if a shard with this id is stored (its bytes are not read).</summary>
    bool Contains(in ShardId id);

    /// <summary>The shard's metadata, if stored.</summary>
    bool TryGetInfo(in ShardId id, out ShardInfo info);

    /// <summary>Deletes a shard; true if it was stored. Completes after the deletion committed.</summary>
    ValueTask<bool> DeleteAsync(ShardId id, CancellationToken cancellationToken = default);

    /// <summary>Sets or clears the pin of a stored shard; false if it is not stored.</summary>
    ValueTask<bool> SetPinnedAsync(ShardId id, bool pinned, CancellationToken cancellationToken = default);

    /// <summary>Metadata of every stored shard, in id order, read in pages so no connection is held between items.</summary>
    IAsyncEnumerable<ShardInfo> EnumerateAsync(CancellationToken cancellationToken = default);

    /// <summary>Committed shard count and bytes against the quota.</summary>
    StorageUsage GetUsage();

    /// <summary>
    /// Deletes up to <paramref name="batchSize"/> shards that are unpinned and expired at
    /// <paramref name="now"/>, in one small transaction; returns how many were deleted. A host loop
    /// calls it until it returns less than the batch size.
    /// </summary>
    ValueTask<int> CollectExpiredAsync(DateTimeOffset now, int batchSize, CancellationToken cancellationToken = default);

    /// <summary>Re-hashes every stored shard, quarantines the bad ones and checks the file structure.</summary>
    Task<VerifyReport> VerifyAllAsync(IProgress<VerifyProgress>? progress = null, CancellationToken cancellationToken = default);
}
