using Overlay.Dht.Persistence;
using Overlay.Dht.Records;
using Overlay.Dht.Routing;
using Overlay.Transport;

namespace Overlay.Dht;

/// <summary>
/// What a node keeps across restarts: listing its contacts and records for saving, and taking saved ones
/// back after the checks a record from the network gets (the signature skipped for rows this node sealed),
/// with the journal writes that tidy the saved rows.
/// </summary>
public sealed partial class DhtNode
{
    /// <summary>
    /// The routing table's contacts (bucket by bucket, least recently seen first), with the network
    /// coordinate each last reported when one is known. For listing peers and for saving the table.
    /// </summary>
    public IReadOnlyList<ContactSnapshot> SnapshotContacts()
    {
        var result = new List<ContactSnapshot>();
        var buffer = new Contact[_options.K];
        using (_table.Enter(out var table))
        {
            for (var i = 0; i < RoutingTable.BucketCount; i++)
            {
                var n = table.CopyBucket(i, buffer);
                for (var j = 0; j < n; j++)
                {
                    var c = buffer[j];
                    result.Add(new ContactSnapshot(c.Id, c.Address, c.LatencyMs, c.LastSeen, c.FailedRequests, null));
                }
            }
        }

        using (_vivaldi.Enter(out var vivaldi))
        {
            for (var i = 0; i < result.Count; i++)
            {
                if (vivaldi.TryGetPeerCoordinate(result[i].Id, out var coordinate))
                {
                    result[i] = result[i] with { Coordinate = coordinate };
                }
            }
        }

        return result;
    }

    /// <summary>Every unexpired value record held, with whether this node published it, for saving.</summary>
    public IReadOnlyList<SavedRecord> SnapshotRecords()
    {
        var result = new List<SavedRecord>();
        using (_store.Enter(out var store))
        {
            store.CopyRecords(_time.GetUtcNow(), result);
        }

        return result;
    }

    /// <summary>
    /// Every unexpired provider record held for other peers, and this node's own announcements, for saving.
    /// </summary>
    public IReadOnlyList<SavedProvider> SnapshotProviders()
    {
        var result = new List<SavedProvider>();
        using (_store.Enter(out var store))
        {
            store.CopyProviders(_time.GetUtcNow(), result);
        }

        return result;
    }

    /// <summary>
    /// Puts saved contacts back into the routing table, unverified, so that <see cref="BootstrapAsync"/>
    /// can rejoin through them when no seed answers; contacts that turn out dead fail their requests and
    /// are replaced as usual. Contacts without a parseable address, or naming this node, are skipped.
    /// Returns how many entered the table.
    /// </summary>
    public int RestoreContacts(IEnumerable<ContactSnapshot> contacts)
    {
        ArgumentNullException.ThrowIfNull(contacts);
        var added = 0;
        var now = _time.GetUtcNow();
        foreach (var c in contacts)
        {
            if (c.Id == Id || c.Address is null || !TransportAddress.TryParse(c.Address, out var address, out _))
            {
                continue;
            }

            var group = NetworkGroup.Of(address);
            using (_table.Enter(out var table))
            {
                // Saved contacts are no fresher than their save: keep their last-seen time, never one in the future.
                var seen = c.LastSeen < now ? c.LastSeen : now;
                var result = table.Observe(c.Id, group, seen, c.LatencyMs, address.WithPeer(null).ToString());
                if (result.Outcome == ObserveOutcome.PingRequired && result.PingTarget is { } incumbent)
                {
                    // Restored contacts are all equally unverified; the first one in keeps its place.
                    table.OnPingResult(incumbent.Id, answered: true, seen);
                }

                added += result.Outcome == ObserveOutcome.Added ? 1 : 0;
            }
        }

        return added;
    }

    /// <summary>
    /// Puts a saved record back into the store after the same checks as a record from the network (expiry,
    /// size), the signature included unless the row was <see cref="SavedRecord.Sealed"/> by this node.
    /// For an unsealed row, "published here" is whether this node's key signed the record, whatever the row says. Through
    /// the journal, a record kept from an unsealed row is written again (sealed), and a refused one is
    /// deleted; <see cref="WhenRestoreSavedAsync"/> waits for those writes. Returns the verdict,
    /// <see cref="RecordRejection.None"/> when it was kept.
    /// </summary>
    public RecordRejection RestoreRecord(SavedRecord saved)
    {
        ArgumentNullException.ThrowIfNull(saved.Record);
        // A sealed row's flag is the node's own word. Otherwise the signature decides: a record under this
        // node's key is its own publication (nobody else holds the key), and a foreign record marked as ours
        // in an edited file would have the node re-sign over another publisher's key.
        var local = saved.Sealed ? saved.PublishedLocally : saved.Record.PublisherPublicKey.Span.SequenceEqual(_identity.PublicKey.Encoded);
        using (_store.Enter(out var store))
        {
            var now = _time.GetUtcNow();
            var verdict = store.Restore(saved.Record, now, local, saved.Sealed);
            if (verdict == RecordRejection.None && (!saved.Sealed || local != saved.PublishedLocally))
            {
                _restoreWrites.Add(Journal(DhtStateChange.StoreRecord(new SavedRecord(saved.Record, local))));
            }
            else if (verdict != RecordRejection.None && store.Get(saved.Record.Key, now) is null)
            {
                _restoreWrites.Add(Journal(DhtStateChange.RemoveRecord(saved.Record.Key)));
            }

            return verdict;
        }
    }

    /// <summary>
    /// Puts a saved provider record back after the same checks as one from the network (expiry, and no
    /// further ahead than <see cref="DhtOptions.RecordTtl"/>). A held record is served to lookups again at
    /// once. An own announcement must name this node (<see cref="RecordRejection.ProviderNotSender"/>
    /// otherwise); it counts as announced when its expiry says it was (expiry - RecordTtl), so it is
    /// re-announced on schedule rather than all at once after every restart. A refused one is deleted
    /// through the journal. Returns the verdict, <see cref="RecordRejection.None"/> when it was kept.
    /// </summary>
    public RecordRejection RestoreProvider(SavedProvider saved)
    {
        ArgumentNullException.ThrowIfNull(saved.Record);
        var now = _time.GetUtcNow();
        using (_store.Enter(out var store))
        {
            RecordRejection verdict;
            if (!saved.AnnouncedLocally)
            {
                // The provider signed it and authenticated itself when it stored it here; a sealed row was checked
                // before it was saved and is unchanged since, any other is checked again.
                verdict = store.RestoreProvider(saved.Record, now, saved.Sealed);
            }
            else if (saved.Record.Provider != Id)
            {
                verdict = RecordRejection.ProviderNotSender;
            }
            else
            {
                var announced = saved.Record.Expires - _options.RecordTtl;
                verdict = store.AddAnnounced(saved.Record, announced < now ? announced : now, now);
            }

            if (verdict != RecordRejection.None)
            {
                _restoreWrites.Add(Journal(DhtStateChange.RemoveProvider(saved)));
            }

            return verdict;
        }
    }

    /// <summary>
    /// Completes when the writes that restoring queued (rows sealed again or deleted) are saved; faults
    /// with a <see cref="DhtStateException"/> when one failed. The records themselves were on disk already.
    /// </summary>
    public Task WhenRestoreSavedAsync()
    {
        using (_store.Enter(out var store))
        {
            var all = Task.WhenAll(_restoreWrites);
            _restoreWrites.Clear();
            return all;
        }
    }

    /// <summary>Queues <paramref name="change"/> in the journal (call under the store's lock, so changes keep the store's order).</summary>
    private Task Journal(DhtStateChange change) => _journal?.WriteAsync(change) ?? Task.CompletedTask;
}
