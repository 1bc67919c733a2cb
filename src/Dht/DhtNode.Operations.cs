using Overlay.Crypto;
using Overlay.Dht.Persistence;
using Overlay.Dht.Records;

namespace Overlay.Dht;

/// <summary>This node's own lookups, gets and puts, each counted with its result and duration (<see cref="Wire.DhtMetrics"/>).</summary>
public sealed partial class DhtNode
{
    /// <summary>Finds the k live peers closest to <paramref name="target"/>.</summary>
    public async Task<LookupResult> FindClosestAsync(PeerId target, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var outcome = "failed";
        try
        {
            var result = await _client.FindClosestAsync(target, cancellationToken);
            outcome = result.Closest.Count > 0 ? "ok" : "not_found";
            Metrics.LookupHops(result.Hops);
            return result;
        }
        finally
        {
            Metrics.Operation("find_node", outcome, _time.GetElapsedTime(started).TotalMilliseconds);
        }
    }

    /// <summary>
    /// Signs <paramref name="value"/> under <paramref name="key"/> (sequence = publication time in unix ms,
    /// so a later put replaces an earlier one), keeps it locally, saves it through the journal and stores
    /// it on the k closest peers, retrying those that give no verdict or rate-limit it (<see cref="DhtClient.PutAsync"/>)
    /// until <see cref="RequiredReplicas"/> accepted it. Completes when the record is saved and the peers
    /// have answered; a failed save throws <see cref="DhtStateException"/>. A record this node refuses
    /// itself (<see cref="PutResult.Local"/>: another publisher's record under the key, a full store) is
    /// sent nowhere.
    /// </summary>
    public async Task<PutResult> PutAsync(PeerId key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var outcome = "failed";
        try
        {
            var result = await PutUncountedAsync(key, value, cancellationToken);
            outcome = result.Succeeded ? "ok" : result.Local != RecordRejection.None ? "refused_locally" : "failed";
            return result;
        }
        finally
        {
            Metrics.Operation("put", outcome, _time.GetElapsedTime(started).TotalMilliseconds);
        }
    }

    private async Task<PutResult> PutUncountedAsync(PeerId key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var record = Sign(key, value.Span, (ulong)now.ToUnixTimeMilliseconds(), now + _options.RecordTtl);
        var local = KeepOwnRecord(record, now, out var saved);
        if (local != RecordRejection.None)
        {
            return new PutResult(0, 0, [], 0, local);
        }

        // The save and the network round go together; the put is acknowledged only once both are done.
        var stored = _client.PutAsync(record, RequiredReplicas(), cancellationToken);
        await Task.WhenAll(saved, stored);
        return await stored;
    }

    // Keeps a record this node signed and queues its save; `saved` completes when it is saved (at once when refused).
    private RecordRejection KeepOwnRecord(DhtRecord record, DateTimeOffset now, out Task saved)
    {
        saved = Task.CompletedTask;
        using (_store.Enter(out var store))
        {
            var verdict = store.Put(record, now, publishedLocally: true);
            if (verdict == RecordRejection.None)
            {
                // Queued under the store's lock, so the file sees a key's versions in the order the store did.
                saved = Journal(DhtStateChange.StoreRecord(new SavedRecord(record, PublishedLocally: true)));
            }

            return verdict;
        }
    }

    /// <summary>The record under <paramref name="key"/>: held locally, or found by a FIND_VALUE lookup; null if none.</summary>
    public async Task<DhtRecord?> GetAsync(PeerId key, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var outcome = "failed";
        try
        {
            DhtRecord? found;
            using (_store.Enter(out var store))
            {
                found = store.Get(key, _time.GetUtcNow());
            }

            found ??= await _client.FindValueAsync(key, cancellationToken);
            outcome = found is null ? "not_found" : "ok";
            return found;
        }
        finally
        {
            Metrics.Operation("get", outcome, _time.GetElapsedTime(started).TotalMilliseconds);
        }
    }
}
