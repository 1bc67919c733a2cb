using System.Buffers;
using Overlay.Crypto;

namespace Overlay.Storage;

/// <summary>
/// The data operations of a content-addressed shard store: what the node's services use to keep
/// shards for peers and for itself, serve them whole or in ranges, renew or drop them, and list them.
/// A shard is up to <see cref="StorageOptions.MaxShardBytes"/> bytes, addressed by the BLAKE3-256 of
/// its bytes. Writes are acknowledged only once committed; every read re-hashes the whole shard and
/// never hands out a byte of one that does not match its id. Thread-safe.
/// </summary>
/// <remarks>
/// A shard may be kept for one or more owners (the identities that asked for it, each through a
/// <em>hold</em> with its own expiry) and for the node itself (no owner). Each owner is charged the
/// shard's size plus <see cref="StorageUsage.ShardOverheadBytes"/> for every shard it holds
/// (<see cref="GetOwnerUsage"/>); the store as a whole charges each stored shard once
/// (<see cref="GetUsage"/>). A shard lives until its own expiry, which is never earlier than any of
/// its holds' (null = never), unless pinned. Scrubbing, collection of expired shards and holds, and
/// quarantine listings are administration: <see cref="IShardStoreAdministration"/>.
/// Times are kept to the millisecond.
/// </remarks>
public interface IShardStore : IAsyncDisposable
{
    /// <summary>
    /// Stores <paramref name="data"/> (0 to <see cref="StorageOptions.MaxShardBytes"/> bytes) and,
    /// with <see cref="ShardPutOptions.Owner"/>, a hold for that owner; completes once committed. The
    /// bytes are hashed on the calling thread and must not change until the returned task completes.
    /// Content already stored is acknowledged without being written again (its expiry and pin are
    /// merged: the later expiry, pinned if either is).
    /// </summary>
    /// <exception cref="StorageException">
    /// ShardTooLarge, QuotaExceeded (a new shard past <see cref="StorageOptions.CapacityBytes"/>),
    /// OwnerQuotaExceeded (a new hold past <see cref="ShardPutOptions.OwnerCapacityBytes"/>), IdMismatch (the
    /// bytes do not hash to <see cref="ShardPutOptions.ExpectedId"/>), DiskFull, Closed or IoError; nothing was written.
    /// </exception>
    /// <exception cref="ArgumentException"><see cref="ShardPutOptions.OwnerCapacityBytes"/> is negative or set without an owner.</exception>
    ValueTask<PutResult> PutAsync(ReadOnlyMemory<byte> data, ShardPutOptions options = default, CancellationToken cancellationToken = default);

    /// <summary>Stores the bytes of <paramref name="data"/> (may be multi-segment, e.g. from a pipe) without joining them.</summary>
    /// <exception cref="StorageException">As for the memory overload.</exception>
    ValueTask<PutResult> PutAsync(ReadOnlySequence<byte> data, ShardPutOptions options = default, CancellationToken cancellationToken = default);

    /// <summary>Stores the bytes <paramref name="data"/> yields until its end.</summary>
    /// <exception cref="StorageException">As for the memory overload; ShardTooLarge as soon as the stream passes the limit.</exception>
    ValueTask<PutResult> PutAsync(Stream data, ShardPutOptions options = default, CancellationToken cancellationToken = default);

    /// <summary>Reads and verifies a whole shard into <paramref name="destination"/>.</summary>
    /// <returns>Found with the shard's length; DestinationTooSmall with the length needed (nothing written); NotFound; or Corrupted (quarantined, nothing written).</returns>
    ShardReadResult Read(in ShardId id, Span<byte> destination);

    /// <summary>Reads and verifies a whole shard into <paramref name="destination"/> (e.g. a PipeWriter); advances it only when the shard verified.</summary>
    ShardReadResult Read(in ShardId id, IBufferWriter<byte> destination);

    /// <summary>Reads and verifies a whole shard, then writes it to <paramref name="destination"/>.</summary>
    ValueTask<ShardReadResult> ReadAsync(ShardId id, Stream destination, CancellationToken cancellationToken = default);

    /// <summary>
    /// Verifies the whole shard, then copies the bytes from <paramref name="offset"/> on into
    /// <paramref name="destination"/>, as many as fit (a resumed fetch, a partial read, an audit's chunk).
    /// </summary>
    /// <param name="id">The shard.</param>
    /// <param name="offset">First byte to copy, 0 to the shard's length (the length itself copies nothing).</param>
    /// <param name="destination">Receives min(its length, shard length − offset) bytes.</param>
    /// <returns>Found with the bytes copied; OffsetBeyondEnd with the shard's length when <paramref name="offset"/> is past it; NotFound; or Corrupted.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="offset"/> is negative.</exception>
    ShardReadResult ReadRange(in ShardId id, long offset, Span<byte> destination);

    /// <summary>True if a shard with this id is stored (its bytes are not read).</summary>
    bool Contains(in ShardId id);

    /// <summary>The shard's metadata, if stored.</summary>
    bool TryGetInfo(in ShardId id, out ShardInfo info);

    /// <summary>
    /// Metadata of every stored shard in id order (what a holder announces), read in pages so nothing
    /// is held between items. A shard stored for the whole listing is listed exactly once; one put or
    /// deleted meanwhile may or may not be.
    /// </summary>
    IAsyncEnumerable<ShardInfo> EnumerateAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Extends a shard's life to at least <paramref name="expiresAt"/> (null = never); with
    /// <paramref name="owner"/>, that owner's hold too. Never shortens either. Completes once committed.
    /// </summary>
    /// <returns>False, changing nothing, when the shard is not stored or <paramref name="owner"/> holds no hold on it.</returns>
    ValueTask<bool> RenewAsync(ShardId id, DateTimeOffset? expiresAt, PeerId? owner = null, CancellationToken cancellationToken = default);

    /// <summary>Sets or clears the pin of a stored shard (pinned shards are never collected); false if it is not stored.</summary>
    ValueTask<bool> SetPinnedAsync(ShardId id, bool pinned, CancellationToken cancellationToken = default);

    /// <summary>Deletes a shard and every hold on it; true if it was stored. Completes once committed.</summary>
    ValueTask<bool> DeleteAsync(ShardId id, CancellationToken cancellationToken = default);

    /// <summary>Committed shard count and bytes against the store's quota.</summary>
    StorageUsage GetUsage();

    /// <summary>What <paramref name="owner"/> holds here: committed holds and their charge (zero when none).</summary>
    OwnerUsage GetOwnerUsage(in PeerId owner);
}
