using Overlay.Crypto;
using Overlay.Dht.Records;

namespace Overlay.Dht;

/// <summary>This node's batched provider announcements (docs/PROTOCOL.md, "Batched announcements").</summary>
public sealed partial class DhtNode
{
    /// <summary>
    /// Announces this node as a provider of every key in <paramref name="keys"/> once, expiring after
    /// <see cref="DhtOptions.RecordTtl"/>, without remembering them (the caller decides when to announce again): the
    /// keys are sorted and cut into batches (<see cref="ProviderBatchGrouping"/>), each batch costs one lookup, one
    /// signature over its Merkle root and one STORE to each of its k closest peers. Returns the batches sent and the
    /// STOREs accepted.
    /// </summary>
    public async Task<(int Batches, int Accepted)> AnnounceProvidersAsync(IReadOnlyCollection<PeerId> keys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var sorted = keys.Distinct().Order().ToArray();
        var known = SnapshotContacts().Select(c => c.Id).ToArray();
        int batches = 0, accepted = 0, at = 0;
        while (at < sorted.Length)
        {
            var lookup = await FindClosestAsync(sorted[at], cancellationToken);
            if (lookup.Closest.Count == 0)
            {
                // Nobody to tell: the next announcement (or pass) tries again.
                break;
            }

            var closest = lookup.Closest.Select(p => p.Id).ToArray();
            var end = ProviderBatchGrouping.BatchEnd(sorted, at, closest, known, _options.MaxProviderBatchIds);
            var batch = ProviderBatch.Create(
                sorted.AsSpan(at, end - at), Id, (_time.GetUtcNow() + _options.RecordTtl).ToUnixTimeMilliseconds(), _identity.PublicKey.Encoded, payload => _identity.Sign(payload));
            var stores = new Task<RecordRejection>[lookup.Closest.Count];
            for (var i = 0; i < stores.Length; i++)
            {
                stores[i] = StoreProviderBatchAsync(lookup.Closest[i], batch, cancellationToken);
            }

            foreach (var verdict in await Task.WhenAll(stores))
            {
                accepted += verdict == RecordRejection.None ? 1 : 0;
            }

            batches++;
            at = end;
        }

        return (batches, accepted);
    }

    private Task<RecordRejection> StoreProviderBatchAsync(DhtPeer peer, ProviderBatch batch, CancellationToken cancellationToken) =>
        StoreOnAsync(peer, DhtOperations.StoreProviderBatch, (rpc, p, ct) => rpc.StoreProviderBatchAsync(p, batch, ct), cancellationToken);
}
