using Overlay.Crypto;
using Overlay.Dht.Coordinates;
using Overlay.Dht.Records;

namespace Overlay.Dht;

/// <summary>
/// What keeps a node's state fresh between its own operations: bucket refresh, warm connections, trimming
/// idle state and expired records, republishing value records and repeating its own announcements.
/// </summary>
public sealed partial class DhtNode
{
    /// <summary>
    /// One maintenance round: refreshes buckets not looked up for <see cref="DhtOptions.BucketRefreshInterval"/>,
    /// keeps connections to contacts open (<see cref="DhtOptions.WarmConnections"/>), drops expired records, and republishes records due (re-signing this node's own when they near expiry).
    /// Returns the number of records republished.
    /// </summary>
    public async Task<int> RunMaintenanceOnceAsync(CancellationToken cancellationToken)
    {
        await _client.RefreshStaleBucketsAsync(_random, cancellationToken);
        await KeepConnectionsWarmAsync(cancellationToken);
        var due = new List<RepublishDecision>();
        var now = _time.GetUtcNow();
        TrimIdleState(now);
        using (_store.Enter(out var store))
        {
            store.CollectRepublishDue(now, due);
        }

        foreach (var decision in due)
        {
            var record = decision.Record;
            if (decision.NeedsResign)
            {
                record = Sign(record.Key, record.Value.Span, record.Sequence + 1, now + _options.RecordTtl);
                KeepOwnRecord(record, now, out var saved);
                await saved;
            }

            // Republishing asks for no minimum: the holders that answer keep it, the others get the next round.
            await _client.PutAsync(record, required: 0, cancellationToken);
            using (_store.Enter(out var store))
            {
                store.MarkRepublished(record.Key, _time.GetUtcNow());
            }
        }

        return due.Count + await ReannounceDueProvidersAsync(cancellationToken);
    }

    /// <summary>
    /// The part of a maintenance round that keeps connections to routing-table contacts open
    /// (<see cref="DhtOptions.WarmConnections"/>): marks them used and pings the kept contacts not heard from
    /// lately. Returns how many were pinged; nothing is done when the option is 0.
    /// </summary>
    internal Task<int> KeepConnectionsWarmAsync(CancellationToken cancellationToken) => _warm.KeepAsync(cancellationToken);

    /// <summary>
    /// The part of a maintenance round that sends nothing: forgets rate-limiter buckets that have refilled,
    /// records that have expired, and the RTT windows of peers the routing table no longer holds, state that
    /// otherwise only traffic trims.
    /// </summary>
    internal void TrimIdleState(DateTimeOffset now)
    {
        ForgetRttOfPeersNotHeld();

        using (_limiter.Enter(out var limiter))
        {
            limiter.Trim(now);
        }

        using (_store.Enter(out var store))
        {
            store.RemoveExpired(now);
        }
    }

    /// <summary>
    /// Keeps RTT windows only for the routing table's contacts and replacement entries. A lookup measures every
    /// peer it asks, and most of them never enter the table; their windows would otherwise stay until
    /// <see cref="Coordinates.VivaldiOptions.MaxFilteredPeers"/> (more windows than the table holds entries at
    /// 10,000 nodes). A peer asked again is measured again; its window restarts from that sample.
    /// </summary>
    internal int ForgetRttOfPeersNotHeld()
    {
        var held = new List<PeerId>();
        using (_table.Enter(out var table))
        {
            table.CollectHeld(held);
        }

        var keys = new HashSet<ulong>(held.Count);
        foreach (var id in held)
        {
            keys.Add(RttFilter.KeyOf(id));
        }

        using (_vivaldi.Enter(out var vivaldi))
        {
            return vivaldi.ForgetPeersUnless(keys.Contains);
        }
    }
}
