namespace Overlay.Storage;

/// <summary>
/// The administration of a shard store, apart from its data operations (<see cref="IShardStore"/>):
/// scrubbing, collecting what expired, listing what was quarantined, and waiting for background
/// writes. The host's collector loop and the <c>overlay verify</c> command use it; the data plane never does.
/// </summary>
public interface IShardStoreAdministration
{
    /// <summary>
    /// Deletes shards that are unpinned and expired at <paramref name="now"/> (with their holds), then
    /// releases expired holds of shards that stay, at most <paramref name="batchSize"/> of the two
    /// together, in one small write. A host loop calls it until <see cref="ExpirySweep.Total"/> is less
    /// than the batch size (<see cref="ExpiredShardCollector"/>).
    /// </summary>
    /// <param name="now">The instant to judge expiry by (the host passes its clock's now).</param>
    /// <param name="batchSize">Most shards and holds removed by this call, 1 and up.</param>
    /// <param name="cancellationToken">Cancels the wait for the write.</param>
    ValueTask<ExpirySweep> CollectExpiredAsync(DateTimeOffset now, int batchSize, CancellationToken cancellationToken = default);

    /// <summary>
    /// Re-hashes every stored shard, quarantines the bad ones (they stop being stored and free their
    /// quota) and checks the store's own structure where it has one.
    /// </summary>
    Task<VerifyReport> VerifyAllAsync(IProgress<VerifyProgress>? progress = null, CancellationToken cancellationToken = default);

    /// <summary>Shards quarantined because their bytes failed verification or could not be read, in id order.</summary>
    IAsyncEnumerable<QuarantinedShard> EnumerateQuarantineAsync(CancellationToken cancellationToken = default);

    /// <summary>Completes once every write queued before this call has committed (quarantines and bookkeeping included).</summary>
    Task FlushAsync(CancellationToken cancellationToken = default);
}
