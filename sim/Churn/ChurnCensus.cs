using Overlay.Crypto;
using Overlay.Node.Shards;
using Overlay.Storage;
using Overlay.Transport;
using Overlay.Transport.InMemory;

namespace Overlay.Sim.Churn;

/// <summary>
/// What a <see cref="ChurnRun"/> measures of its shards: at each sample, which are kept and whether a
/// random subset comes back through the network; what present owners' books list on malicious nodes and
/// on the busiest holder; and the owners' trust in the malicious nodes at the end.
/// </summary>
internal sealed class ChurnCensus(
    ChurnSettings settings, WholeNodeNetwork whole, InMemoryNetwork net, ChurnMembership membership, MaliciousNodes malicious, ChurnShards shards, ChurnRepairs repairs, Random random)
{
    public async Task<ChurnSample> SampleAsync(TimeSpan at)
    {
        // How many present nodes keep each shard: the owner's copy on probation (docs/PROTOCOL.md, "Probation") counts as
        // kept, and is set apart in OwnedOnHolders.
        var kept = new Dictionary<ShardId, int>();
        var present = 0;
        for (var i = 0; i < settings.Nodes; i++)
        {
            if (!membership.IsPresent(i))
            {
                continue;
            }

            present++;
            if (membership.StoreOf(i) is { } store)
            {
                await foreach (var info in store.EnumerateAsync())
                {
                    kept[info.Id] = kept.GetValueOrDefault(info.Id) + 1;
                }
            }
        }

        int owned = 0, ownedKept = 0, allKept = 0, onHolders = 0, inProbation = 0;
        var candidates = new List<(ShardId Id, int Slot, int Generation)>();
        foreach (var shard in shards.Tracked)
        {
            var copies = kept.GetValueOrDefault(shard.Id);
            var isKept = copies > 0;
            allKept += isKept ? 1 : 0;
            if (membership.OwnerPresent(shard.Slot, shard.Generation))
            {
                owned++;
                ownedKept += isKept ? 1 : 0;
                var ownerKeeps = membership.StoreOf(shard.Slot)?.Contains(shard.Id) == true;
                onHolders += copies - (ownerKeeps ? 1 : 0) > 0 ? 1 : 0;
                inProbation += whole.Nodes[shard.Slot].ShardExchange.Owner!.Status(shard.Id)?.OwnerCopy == true ? 1 : 0;
                candidates.Add(shard);
            }
        }

        // A random subset (partial Fisher–Yates) fetched together, each by a random present node that is not its owner.
        var picks = Math.Min(settings.FetchesPerSample, candidates.Count);
        for (var k = 0; k < picks; k++)
        {
            var j = k + random.Next(candidates.Count - k);
            (candidates[k], candidates[j]) = (candidates[j], candidates[k]);
        }

        var fetches = candidates.Take(picks).Select(c => FetchAsync(c.Id, membership.RandomJoinedSlot(s => s != c.Slot))).ToList();
        var fetched = (await Task.WhenAll(fetches)).Count(ok => ok);
        return new ChurnSample(
            at, present, membership.Departures, owned, ownedKept, shards.Tracked.Count, allKept, picks, fetched, repairs.Repairs, repairs.RepairBytes, net.BytesDelivered, DropperHoldings(), onHolders, inProbation);
    }

    /// <summary>Holdings in present owners' books that name a dropper (with <paramref name="spies"/> false, one that deletes): what the owners still believe droppers keep for them.</summary>
    public int DropperHoldings(bool spies = true)
    {
        var count = 0;
        foreach (var (id, slot, generation) in shards.Tracked)
        {
            if (membership.OwnerPresent(slot, generation) && whole.Nodes[slot].ShardExchange.Owner!.Status(id) is { } book)
            {
                count += book.Holders.Count(h => spies ? malicious.IsMalicious(h.Peer) : malicious.Deletes(h.Peer));
            }
        }

        return count;
    }

    /// <summary>
    /// Every holding present owners' books list (to set <see cref="DropperHoldings"/> against), the most any one holder has,
    /// and those of <paramref name="bootstrap"/> (node 0 as the network formed, everyone's pre-trusted peer).
    /// </summary>
    public (int All, int Busiest, int OnBootstrap) AllHoldings(PeerId bootstrap)
    {
        var perHolder = new Dictionary<PeerId, int>();
        var count = 0;
        foreach (var (id, slot, generation) in shards.Tracked)
        {
            if (membership.OwnerPresent(slot, generation) && whole.Nodes[slot].ShardExchange.Owner!.Status(id) is { } book)
            {
                count += book.Holders.Count;
                foreach (var holder in book.Holders)
                {
                    perHolder[holder.Peer] = perHolder.GetValueOrDefault(holder.Peer) + 1;
                }
            }
        }

        return (count, perHolder.Count == 0 ? 0 : perHolder.Values.Max(), perHolder.GetValueOrDefault(bootstrap));
    }

    /// <summary>Owners' copies kept on probation, released, and probation failures, summed over the present nodes.</summary>
    public (long Kept, long Released, long Failures) Probation()
    {
        long kept = 0, released = 0, failures = 0;
        for (var i = 0; i < settings.Nodes; i++)
        {
            if (membership.IsPresent(i))
            {
                var metrics = whole.Nodes[i].ShardExchange.Metrics;
                kept += metrics.ProbationCopiesKept;
                released += metrics.ProbationReleases;
                failures += metrics.ProbationFailures;
            }
        }

        return (kept, released, failures);
    }

    /// <summary>Each present honest owner's trust (recomputed now) in the droppers and in the honest peers it rates, averaged over owners.</summary>
    public TrustView TrustOfDroppers()
    {
        double dropperSum = 0, honestSum = 0;
        int owners = 0, lower = 0, preTrusting = 0;
        var owning = shards.Tracked.Where(t => membership.OwnerPresent(t.Slot, t.Generation)).Select(t => t.Slot).ToHashSet();
        foreach (var slot in owning.Order())
        {
            var node = whole.Nodes[slot];
            var snapshot = node.Trust.Recompute();
            var droppers = new List<double>();
            var honest = new List<double>();
            for (var k = 0; k < snapshot.Count; k++)
            {
                var peer = snapshot.Peers[k];
                if (peer == node.Id)
                {
                    continue;
                }

                (malicious.IsMalicious(peer) ? droppers : honest).Add(snapshot.Values[k]);
            }

            if (droppers.Count == 0 || honest.Count == 0)
            {
                continue;
            }

            owners++;
            preTrusting += node.Trust.PreTrustedInUse > 0 ? 1 : 0;
            dropperSum += droppers.Average();
            honestSum += honest.Average();
            lower += droppers.Average() < honest.Average() ? 1 : 0;
        }

        return new TrustView(owners == 0 ? 0 : dropperSum / owners, owners == 0 ? 0 : honestSum / owners, owners, lower, preTrusting);
    }

    private async Task<bool> FetchAsync(ShardId id, int reader)
    {
        try
        {
            var (bytes, _) = await whole.Nodes[reader].ShardExchange.Owner!.GetAsync(id, CancellationToken.None);
            return ShardId.Compute(bytes) == id;
        }
        catch (Exception e) when (e is ShardExchangeException or TransportException)
        {
            return false;
        }
    }
}
