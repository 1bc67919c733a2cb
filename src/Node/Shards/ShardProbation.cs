using Microsoft.Extensions.Logging;
using Overlay.Node.Hosting;
using Overlay.Storage;

namespace Overlay.Node.Shards;

/// <summary>
/// Probation (docs/PROTOCOL.md, "Probation"): the owner keeps its own copy of a shard it places, in its own store, until
/// every holder has passed an audit taken at least <c>period</c> after its receipt. Until then a shard whose holders all
/// drop it right after acknowledging is still read from that copy and repaired from it. The copy is stored with an expiry
/// (<c>copyLife</c> ahead), renewed at each audit while some holder is not vetted; once every holder is vetted the owner stops
/// renewing it and the store collects it at that expiry. It is never deleted outright: the same bytes may meanwhile be kept
/// here for a peer that stored them, whose hold keeps the shard (a shard's expiry is never earlier than any hold's).
/// The caller holds the shard's lock and saves the book after each call that changes the record.
/// A zero period keeps no copy and vets every holder at its receipt.
/// </summary>
internal sealed class ShardProbation(IShardStore store, TimeSpan period, TimeSpan copyLife, TimeProvider time, ShardExchangeMetrics metrics, ILogger logger)
{
    /// <summary>Told each shard whose copy the owner keeps (the daemon announces it as a provider, as it does the shards it holds for peers).</summary>
    public Action<ShardId>? Kept { get; set; }

    /// <summary>Whether a holder is vetted the moment its receipt is checked (probation off).</summary>
    public bool VettedAtReceipt => period <= TimeSpan.Zero;

    /// <summary>
    /// Keeps a copy of <paramref name="data"/> in the owner's store while some holder of <paramref name="shard"/> is not vetted
    /// and the owner keeps none yet. Bytes the store already holds (kept for a peer, or the node's own) are left as they are and
    /// not marked as the owner's copy, so a release never deletes what another owner asked this node to keep. A store that
    /// refuses (full, failing) leaves the shard without a copy: it is placed all the same, as without probation.
    /// </summary>
    /// <returns>Whether the record changed.</returns>
    public async Task<bool> KeepAsync(OwnedShard shard, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (VettedAtReceipt || shard.OwnerCopy || shard.Holders.TrueForAll(h => h.Vetted) || store.Contains(shard.Id))
        {
            return false;
        }

        try
        {
            // An expiry, renewed while the probation lasts: a release then only stops renewing, and never removes bytes a peer
            // asked this node to keep meanwhile.
            await store.PutAsync(data, new ShardPutOptions(ExpiresAt: time.GetUtcNow() + copyLife, ExpectedId: shard.Id), cancellationToken).ConfigureAwait(false);
        }
        catch (StorageException e)
        {
            Log.ShardProbationProblem(logger, shard.Id, "the owner's store refused its copy (" + e.Reason + "): " + e.Message);
            return false;
        }

        shard.OwnerCopy = true;
        metrics.ProbationKept();
        // Announced at once: a reader other than the owner finds the copy through the provider records, not only the holders'.
        Kept?.Invoke(shard.Id);
        return true;
    }

    /// <summary>
    /// Takes in one audit of <paramref name="holding"/> taken at <paramref name="at"/>: a pass at least the period after its receipt
    /// vets it; any other verdict while it is not vetted and the owner keeps a copy is a probation failure (the maintenance suspects
    /// the holder on the same verdict and repairs from the copy).
    /// </summary>
    public void Judge(OwnedShard shard, ShardHolding holding, HolderVerdict verdict, DateTimeOffset at)
    {
        if (holding.Vetted)
        {
            return;
        }

        if (verdict == HolderVerdict.Passed)
        {
            holding.Vetted = holding.ReceivedAt is not { } received || at - received >= period;
        }
        else if (shard.OwnerCopy)
        {
            metrics.ProbationFailed();
        }
    }

    /// <summary>
    /// Releases the owner's copy once <paramref name="replicas"/> or more holders are vetted and passed their last audit, each of
    /// them: the copy is no longer renewed and the store collects it at its expiry. Until then each call renews it to
    /// <c>copyLife</c> ahead.
    /// </summary>
    /// <returns>Whether the copy was released (the record changed).</returns>
    public async Task<bool> ReleaseIfVettedAsync(OwnedShard shard, int replicas, CancellationToken cancellationToken)
    {
        if (!shard.OwnerCopy)
        {
            return false;
        }

        if (shard.Holders.Count < replicas || !shard.Holders.TrueForAll(h => h.Vetted && h.LastAuditPassed == true))
        {
            try
            {
                await store.RenewAsync(shard.Id, time.GetUtcNow() + copyLife, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (StorageException e)
            {
                // The copy keeps its current expiry; the next audit round tries again.
                Log.ShardProbationProblem(logger, shard.Id, "the owner's copy could not be renewed (" + e.Reason + "): " + e.Message);
            }

            return false;
        }

        shard.OwnerCopy = false;
        metrics.ProbationReleased();
        return true;
    }
}
