namespace Overlay.Storage;

/// <summary>
/// The collector loop a host runs as a background service, for any store: every
/// <see cref="StorageOptions.CollectInterval"/> on the injected clock it deletes expired, unpinned
/// shards and releases expired holds in batches of <see cref="StorageOptions.CollectBatchSize"/>
/// (one small write each, so puts queued meanwhile are not held up) until a batch comes back short.
/// </summary>
public static class ExpiredShardCollector
{
    /// <summary>Runs until <paramref name="cancellationToken"/> is cancelled; a failed round is skipped and the next tick tries again.</summary>
    /// <exception cref="OperationCanceledException">The loop was stopped.</exception>
    public static async Task RunAsync(IShardStoreAdministration store, StorageOptions options, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        using var timer = new PeriodicTimer(options.CollectInterval, time);
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            try
            {
                while ((await store.CollectExpiredAsync(time.GetUtcNow(), options.CollectBatchSize, cancellationToken)).Total == options.CollectBatchSize)
                {
                }
            }
            catch (StorageException e) when (e.Reason != StorageErrorReason.Closed)
            {
                // Survive a failed round (e.g. disk full); the next tick tries again.
            }
        }
    }
}
