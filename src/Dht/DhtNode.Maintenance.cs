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
    /// The part of a maintenance round that sends nothing: forgets rate-limiter buckets that have refilled
    /// and records that have expired, state that otherwise only traffic trims.
    /// </summary>
    internal void TrimIdleState(DateTimeOffset now)
    {
        using (_limiter.Enter(out var limiter))
        {
            limiter.Trim(now);
        }

        using (_store.Enter(out var store))
        {
            store.RemoveExpired(now);
        }
    }
}
