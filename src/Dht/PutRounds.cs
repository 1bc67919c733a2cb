using Overlay.Crypto;
using Overlay.Dht.Records;
using Overlay.Dht.Routing;

namespace Overlay.Dht;

/// <summary>
/// A put's rounds (<see cref="DhtClient.PutAsync"/>): stores a record on the k closest peers a lookup found,
/// retries those that gave no verdict after a jittered back-off, and looks again for close peers the lookup
/// missed. The lookup itself is the client's (<paramref name="lookup"/>: key, the map that receives the peers
/// whose lookup request failed, cancellation).
/// </summary>
internal sealed class PutRounds(
    Guarded<RoutingTable> table, DhtRequestRunner requests, DhtOptions options, TimeProvider time, Random? random,
    Func<PeerId, Dictionary<PeerId, RecordRejection>, CancellationToken, Task<LookupResult>> lookup)
{
    /// <summary>Runs a put; see <see cref="DhtClient.PutAsync"/>.</summary>
    public async Task<PutResult> PutAsync(DhtRecord record, int required, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentOutOfRangeException.ThrowIfNegative(required);
        var key = record.Key;
        var giveUpAt = time.GetUtcNow() + options.PutRetryTimeout;
        // The last verdict of every peer a store went to, and the peers whose lookup request failed.
        var verdicts = new Dictionary<PeerId, RecordRejection>();
        var missed = new Dictionary<PeerId, RecordRejection>();
        var candidates = new List<DhtPeer>(options.K);
        var found = await lookup(key, missed, cancellationToken);
        Merge(candidates, found.Closest, key);
        var accepted = 0;
        var rounds = 0;
        var delay = DhtClient.FirstRetryDelay;
        while (true)
        {
            rounds++;
            var targets = new List<DhtPeer>(candidates.Count);
            foreach (var peer in candidates)
            {
                if (!verdicts.TryGetValue(peer.Id, out var last) || IsTransient(last))
                {
                    targets.Add(peer);
                }
            }

            var stores = new Task<RecordRejection>[targets.Count];
            for (var i = 0; i < stores.Length; i++)
            {
                stores[i] = StoreOneAsync(targets[i], record, cancellationToken);
            }

            var answers = await Task.WhenAll(stores);
            var retryable = false;
            for (var i = 0; i < answers.Length; i++)
            {
                verdicts[targets[i].Id] = answers[i];
                accepted += answers[i] == RecordRejection.None ? 1 : 0;
                retryable |= IsTransient(answers[i]);
            }

            // Peers that belong among the k closest but did not answer the lookup: look again next round.
            var lookAgain = AnyCloseMiss(missed, verdicts, candidates, key);
            if (accepted >= required || !(retryable || lookAgain))
            {
                break;
            }

            var wait = Jitter(delay);
            if (time.GetUtcNow() + wait > giveUpAt)
            {
                break;
            }

            await Task.Delay(wait, time, cancellationToken);
            delay = delay * 2 < DhtClient.MaxRetryDelay ? delay * 2 : DhtClient.MaxRetryDelay;
            if (lookAgain)
            {
                missed.Clear();
                found = await lookup(key, missed, cancellationToken);
                Merge(candidates, found.Closest, key);
            }
        }

        var refusals = new List<StoreRefusal>();
        foreach (var (peer, verdict) in verdicts)
        {
            if (verdict != RecordRejection.None)
            {
                refusals.Add(new StoreRefusal(peer, verdict));
            }
        }

        // A close peer that never got as far as a store did not take the record either: say why.
        foreach (var (peer, reason) in missed)
        {
            if (!verdicts.ContainsKey(peer) && IsClose(peer, candidates, key))
            {
                refusals.Add(new StoreRefusal(peer, reason));
            }
        }

        return new PutResult(accepted, required, refusals, rounds);
    }

    /// <summary>True when a peer whose lookup request failed, and that no store reached, would be among the k closest.</summary>
    private bool AnyCloseMiss(Dictionary<PeerId, RecordRejection> missed, Dictionary<PeerId, RecordRejection> verdicts, List<DhtPeer> candidates, PeerId key)
    {
        foreach (var peer in missed.Keys)
        {
            if (!verdicts.ContainsKey(peer) && IsClose(peer, candidates, key))
            {
                return true;
            }
        }

        return false;
    }

    // Among the k closest to the key: fewer than k candidates are known, or it is closer than the farthest.
    private bool IsClose(PeerId peer, List<DhtPeer> candidates, PeerId key) =>
        candidates.Count < options.K || peer.Xor(key).CompareTo(candidates[^1].Id.Xor(key)) < 0;

    /// <summary>Verdicts a later attempt may change: the peer gave none, or asked us to slow down.</summary>
    private static bool IsTransient(RecordRejection verdict) => verdict is RecordRejection.NoAnswer or RecordRejection.RateLimited;

    /// <summary>Adds the peers of <paramref name="found"/> not yet in <paramref name="candidates"/> and keeps the k closest to <paramref name="key"/>.</summary>
    private void Merge(List<DhtPeer> candidates, IReadOnlyList<DhtPeer> found, PeerId key)
    {
        foreach (var peer in found)
        {
            if (!candidates.Exists(p => p.Id == peer.Id))
            {
                candidates.Add(peer);
            }
        }

        candidates.Sort((a, b) => a.Id.Xor(key).CompareTo(b.Id.Xor(key)));
        if (candidates.Count > options.K)
        {
            candidates.RemoveRange(options.K, candidates.Count - options.K);
        }
    }

    private TimeSpan Jitter(TimeSpan delay)
    {
        if (random is null)
        {
            return delay;
        }

        double fraction;
        lock (random)
        {
            fraction = random.NextDouble();
        }

        // Between half and all of the delay: puts refused together spread their retries out.
        return delay * (0.5 + (0.5 * fraction));
    }

    private async Task<RecordRejection> StoreOneAsync(DhtPeer peer, DhtRecord record, CancellationToken cancellationToken)
    {
        var store = await requests.RunAsync(peer, DhtOperations.Store, (rpc, p, ct) => rpc.StoreAsync(p, record, ct), cancellationToken);
        if (store.Answered)
        {
            return store.Value;
        }

        // A store that failed in transit gave no verdict: not counted as accepted, and a put asks again.
        using (table.Enter(out var t))
        {
            t.OnRequestFailed(peer.Id, time.GetUtcNow());
        }

        return RecordRejection.NoAnswer;
    }
}
