using Overlay.Dht.Routing;

namespace Overlay.Dht;

/// <summary>
/// Keeps connections open to up to <see cref="DhtOptions.WarmConnections"/> routing-table contacts, so
/// lookups that start from them pay one round trip per request instead of two (handshake, then request).
/// Contacts of the farthest buckets come first: a lookup for a uniformly random key is seeded from bucket
/// b with probability 2^-(b+1). One <see cref="KeepAsync"/> per maintenance round: the kept contacts'
/// connections are marked used (so the pool's idle sweep leaves them), and each kept contact not heard from
/// for <see cref="DhtOptions.WarmContactPing"/> is pinged, which opens its connection again if it closed
/// and gives the far end traffic, so its pool keeps the connection too. The pings also tell the routing
/// table early which kept contacts have gone.
/// </summary>
internal sealed class WarmContacts(Guarded<RoutingTable> table, IDhtNetwork network, DhtRequestRunner requests, DhtOptions options, TimeProvider time)
{
    /// <summary>One round: keeps the chosen contacts' connections and pings the quiet ones; returns how many were pinged.</summary>
    public async Task<int> KeepAsync(CancellationToken cancellationToken)
    {
        var limit = options.WarmConnections;
        if (limit == 0)
        {
            return 0;
        }

        var quiet = new List<Contact>();
        var now = time.GetUtcNow();
        var bucket = new Contact[options.K];
        var kept = 0;
        using (table.Enter(out var t))
        {
            for (var b = 0; b < RoutingTable.BucketCount && kept < limit; b++)
            {
                var n = t.CopyBucket(b, bucket);
                // In id order, not the bucket's (which moves each contact that answers to its tail): the same
                // contacts stay kept from round to round, instead of the kept set rotating through the bucket.
                Array.Sort(bucket, 0, n, ById);
                for (var i = 0; i < n && kept < limit; i++, kept++)
                {
                    var c = bucket[i];
                    // Marked used whether or not it is quiet: the pool must not close it before the ping lands.
                    var open = network.KeepOpen(c.Id);
                    if (!open || now - c.LastSeen >= options.WarmContactPing)
                    {
                        quiet.Add(c);
                    }
                }
            }
        }

        var pings = new Task[quiet.Count];
        for (var i = 0; i < pings.Length; i++)
        {
            pings[i] = PingAsync(quiet[i], cancellationToken);
        }

        await Task.WhenAll(pings);
        return pings.Length;
    }

    private static readonly Comparer<Contact> ById = Comparer<Contact>.Create(static (a, b) => a.Id.CompareTo(b.Id));

    private async Task PingAsync(Contact contact, CancellationToken cancellationToken)
    {
        var ping = await requests.RunAsync(
            new DhtPeer(contact.Id, contact.Dialable, contact.Group), DhtOperations.Ping, static async (rpc, p, ct) =>
            {
                await rpc.PingAsync(p, ct);
                return true;
            },
            cancellationToken);
        using (table.Enter(out var t))
        {
            var now = time.GetUtcNow();
            if (ping.Answered)
            {
                t.OnPingResult(contact.Id, answered: true, now, ping.ElapsedMs);
            }
            else if (!ping.RateLimited)
            {
                // Counted as any failed request, not as a failed eviction ping: one lost ping does not evict.
                t.OnRequestFailed(contact.Id, now);
            }
        }
    }
}
