using Overlay.Crypto;
using Overlay.Dht.Records;

namespace Overlay.Dht;

/// <summary>This node's batched provider announcements (docs/PROTOCOL.md, "Batched announcements").</summary>
public sealed partial class DhtNode
{
    /// <summary>
    /// Announces this node as a provider of every key in <paramref name="keys"/> once, expiring after
    /// <see cref="DhtOptions.RecordTtl"/>, without remembering them (the caller decides when to announce again): each key
    /// is assigned to its k closest peers (a lookup, or one made for an earlier key, <see cref="ProviderBatchPlan"/>), and
    /// each of those peers gets one batch of every key assigned to it, cut at <see cref="DhtOptions.MaxProviderBatchIds"/>:
    /// one signature and one STORE_BATCH per storing peer, k of them in flight at a time. Returns the batches sent and the
    /// ids the storing peers kept (a key kept by k peers counts k times).
    /// </summary>
    public async Task<(int Batches, int Accepted)> AnnounceProvidersAsync(IReadOnlyCollection<PeerId> keys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var sorted = keys.Distinct().Order().ToArray();
        Metrics.AnnouncedProviderIds(sorted.Length);
        var plan = new ProviderBatchPlan(SnapshotContacts().Select(c => c.Id), _options.K);
        foreach (var key in sorted)
        {
            if (plan.TryReuse(key))
            {
                continue;
            }

            var lookup = await FindClosestAsync(key, cancellationToken);
            if (lookup.Closest.Count == 0)
            {
                // Nobody to tell: the next announcement (or pass) tries again.
                break;
            }

            plan.AddLookup(key, lookup.Closest);
        }

        var batches = plan.Batches(_options.MaxProviderBatchIds);
        var expires = (_time.GetUtcNow() + _options.RecordTtl).ToUnixTimeMilliseconds();
        var accepted = 0;
        for (var at = 0; at < batches.Count; at += _options.K)
        {
            var stores = new List<Task<ProviderBatchVerdict>>(_options.K);
            for (var i = at; i < Math.Min(batches.Count, at + _options.K); i++)
            {
                var (peer, ids) = batches[i];
                var batch = ProviderBatch.Create(ids, Id, expires, _identity.PublicKey.Encoded, payload => _identity.Sign(payload));
                stores.Add(StoreProviderBatchAsync(peer, batch, cancellationToken));
            }

            foreach (var verdict in await Task.WhenAll(stores))
            {
                accepted += verdict.Accepted;
            }
        }

        return (batches.Count, accepted);
    }

    // A batch's verdict; not answering, or answering badly, counts against the peer like any failed request.
    private async Task<ProviderBatchVerdict> StoreProviderBatchAsync(DhtPeer peer, ProviderBatch batch, CancellationToken cancellationToken)
    {
        var store = await _requests.RunAsync(peer, DhtOperations.StoreProviderBatch, (rpc, p, ct) => rpc.StoreProviderBatchAsync(p, batch, ct), cancellationToken);
        if (store.Answered)
        {
            return store.Value!;
        }

        Failed(peer.Id);
        return ProviderBatchVerdict.Refused(RecordRejection.NoAnswer);
    }
}
