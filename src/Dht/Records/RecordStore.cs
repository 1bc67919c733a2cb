using Overlay.Crypto;

namespace Overlay.Dht.Records;

/// <summary>
/// In-memory store of value and provider records with expiry and republish scheduling. It does no I/O
/// and reads no clock: every call takes <c>now</c>, and republishing is returned as decisions for the
/// service to carry out. Not thread-safe: one owner calls it.
/// </summary>
public sealed class RecordStore
{
    private sealed class Entry(DhtRecord record, bool local, DateTimeOffset lastPublished)
    {
        public DhtRecord Record = record;
        public bool Local = local;
        public DateTimeOffset LastPublished = lastPublished;
    }

    private sealed class Announcement(ProviderRecord record, DateTimeOffset lastAnnounced)
    {
        public ProviderRecord Record = record;
        public DateTimeOffset LastAnnounced = lastAnnounced;
    }

    private readonly Dictionary<PeerId, Entry> _records = new();
    private readonly Dictionary<PeerId, List<ProviderRecord>> _providers = new();
    private readonly Dictionary<PeerId, Announcement> _announced = new();
    private readonly Dictionary<PeerId, int> _heldPerProvider = new();
    private readonly DhtOptions _options;
    private readonly RecordValidator _validator;

    /// <summary>Creates an empty store.</summary>
    public RecordStore(DhtOptions options, RecordValidator validator)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(validator);
        _options = options;
        _validator = validator;
    }

    /// <summary>Value records held, expired ones included until <see cref="RemoveExpired"/> runs.</summary>
    public int Count => _records.Count;

    /// <summary>Content keys with at least one provider.</summary>
    public int ProviderKeyCount => _providers.Count;

    /// <summary>Content keys this node announced itself as a provider of, expired ones included until <see cref="RemoveExpired"/> runs.</summary>
    public int AnnouncedCount => _announced.Count;

    /// <summary>
    /// Validates and stores <paramref name="record"/> at <paramref name="now"/>. A higher sequence replaces
    /// the stored one; the same record again only counts as a fresh store (it postpones re-replication,
    /// the Kademlia §2.5 optimisation). <paramref name="publishedLocally"/> marks this node's own records.
    /// </summary>
    public RecordRejection Put(DhtRecord record, DateTimeOffset now, bool publishedLocally = false) =>
        Put(record, now, publishedLocally, checkSignature: true);

    /// <summary>
    /// Takes back a record saved before a restart, with the checks of <see cref="Put(DhtRecord, DateTimeOffset, bool)"/>
    /// except the signature when <paramref name="sealed"/>: the node checked it before it saved it, and the
    /// row's seal shows nobody changed it since (<see cref="Persistence.SavedRecord.Sealed"/>).
    /// </summary>
    public RecordRejection Restore(DhtRecord record, DateTimeOffset now, bool publishedLocally, bool @sealed) =>
        Put(record, now, publishedLocally, checkSignature: !@sealed);

    private RecordRejection Put(DhtRecord record, DateTimeOffset now, bool publishedLocally, bool checkSignature)
    {
        ArgumentNullException.ThrowIfNull(record);
        _records.TryGetValue(record.Key, out var existing);
        var stored = existing is not null && existing.Record.ExpiresUnixMs > now.ToUnixTimeMilliseconds() ? existing.Record : null;
        if (existing is null && _records.Count >= _options.MaxRecords)
        {
            return RecordRejection.StoreFull;
        }

        var verdict = _validator.Validate(record, now, stored, checkSignature);
        if (verdict != RecordRejection.None)
        {
            return verdict;
        }

        if (existing is null)
        {
            _records.Add(record.Key, new Entry(record, publishedLocally, now));
        }
        else
        {
            existing.Record = record;
            // Another holder re-sending the publisher's own record must not postpone the publisher's
            // republish: only the publisher can re-sign before expiry, and it decides that when it is due.
            if (publishedLocally || !existing.Local)
            {
                existing.LastPublished = now;
            }

            existing.Local |= publishedLocally;
        }

        return RecordRejection.None;
    }

    /// <summary>The unexpired record under <paramref name="key"/>, or null.</summary>
    public DhtRecord? Get(PeerId key, DateTimeOffset now) =>
        _records.TryGetValue(key, out var e) && e.Record.ExpiresUnixMs > now.ToUnixTimeMilliseconds() ? e.Record : null;

    /// <summary>
    /// Validates and stores a provider record sent by <paramref name="sender"/> (it must be the provider, and the
    /// record signed by it); a later one from the same provider replaces it, an earlier one is refused
    /// (<see cref="RecordRejection.OlderAnnouncement"/>).
    /// </summary>
    public RecordRejection AddProvider(ProviderRecord record, PeerId sender, DateTimeOffset now) =>
        AddProvider(record, sender, now, checkSignature: true);

    /// <summary>
    /// Takes back a provider record held for another peer and saved before a restart, with the checks of
    /// <see cref="AddProvider(ProviderRecord, PeerId, DateTimeOffset)"/> except the signature when
    /// <paramref name="sealed"/>: this node checked it before it saved it, and the row's seal shows nobody changed it since.
    /// An unsigned record (saved before provider records were signed) is refused: nobody could check it.
    /// </summary>
    public RecordRejection RestoreProvider(ProviderRecord record, DateTimeOffset now, bool @sealed)
    {
        ArgumentNullException.ThrowIfNull(record);
        return AddProvider(record, record.Provider, now, checkSignature: !@sealed || !record.IsSigned);
    }

    private RecordRejection AddProvider(ProviderRecord record, PeerId sender, DateTimeOffset now, bool checkSignature)
    {
        // Cheapest first: expiry and sender, then the stored version, the signature last.
        var verdict = _validator.ValidateProviderUnsigned(record, sender, now);
        if (verdict != RecordRejection.None)
        {
            return verdict;
        }

        if (_providers.TryGetValue(record.Key, out var held) && held.Find(p => p.Provider == record.Provider) is { } stored
            && stored.ExpiresUnixMs > record.ExpiresUnixMs)
        {
            return RecordRejection.OlderAnnouncement;
        }

        verdict = checkSignature ? _validator.CheckProviderSignature(record, now) : RecordRejection.None;
        if (verdict != RecordRejection.None)
        {
            return verdict;
        }

        return Keep(record);
    }

    /// <summary>
    /// Validates a provider batch sent by <paramref name="sender"/> and keeps a record per id (docs/PROTOCOL.md, "Provider
    /// batch (kind 3)"), appending them to <paramref name="kept"/>. Cheapest first: size, expiry, sender, sorted ids; then
    /// whether any id is already held from this provider with a later expiry (<see cref="RecordRejection.OlderAnnouncement"/>:
    /// an older batch replayed), the per-provider and total limits; the Merkle root and the one signature last. All or
    /// nothing, except that an id whose key already keeps <see cref="DhtOptions.MaxProvidersPerKey"/> providers that all
    /// outlive the batch is skipped, as a single record would be refused.
    /// </summary>
    public RecordRejection AddProviderBatch(ProviderBatch batch, PeerId sender, DateTimeOffset now, List<ProviderRecord>? kept = null)
    {
        var verdict = _validator.ValidateBatchUnsigned(batch, sender, now);
        if (verdict != RecordRejection.None)
        {
            return verdict;
        }

        int fresh = 0, newKeys = 0;
        for (var i = 0; i < batch.Count; i++)
        {
            if (!_providers.TryGetValue(batch.IdAt(i), out var held))
            {
                fresh++;
                newKeys++;
            }
            else if (IndexOfProvider(held, batch.Provider) is var at and >= 0)
            {
                if (held[at].ExpiresUnixMs > batch.ExpiresUnixMs)
                {
                    return RecordRejection.OlderAnnouncement;
                }
            }
            else
            {
                fresh++;
            }
        }

        if ((long)HeldFrom(batch.Provider) + fresh > _options.MaxProviderIdsPerProvider)
        {
            return RecordRejection.ProviderQuota;
        }

        if ((long)_providers.Count + newKeys > _options.MaxRecords)
        {
            return RecordRejection.StoreFull;
        }

        verdict = _validator.CheckBatchSignature(batch, now, out var tree);
        if (verdict != RecordRejection.None)
        {
            return verdict;
        }

        for (var i = 0; i < batch.Count; i++)
        {
            var record = batch.RecordAt(i, tree!);
            if (Keep(record) == RecordRejection.None)
            {
                kept?.Add(record);
            }
        }

        return RecordRejection.None;
    }

    /// <summary>Provider ids kept for <paramref name="provider"/> now, single and batched, expired ones included until <see cref="RemoveExpired"/> runs.</summary>
    public int HeldFrom(PeerId provider) => _heldPerProvider.GetValueOrDefault(provider);

    // Keeps a checked record: replaces the provider's own record for the key, else takes a place within the per-provider,
    // total and per-key limits.
    private RecordRejection Keep(ProviderRecord record)
    {
        _providers.TryGetValue(record.Key, out var list);
        if (list is not null && IndexOfProvider(list, record.Provider) is var own and >= 0)
        {
            list[own] = record;
            return RecordRejection.None;
        }

        if (HeldFrom(record.Provider) >= _options.MaxProviderIdsPerProvider)
        {
            return RecordRejection.ProviderQuota;
        }

        if (list is null)
        {
            if (_providers.Count >= _options.MaxRecords)
            {
                return RecordRejection.StoreFull;
            }

            list = new List<ProviderRecord>(4);
            _providers.Add(record.Key, list);
        }

        if (list.Count >= _options.MaxProvidersPerKey)
        {
            // Make room only by dropping the provider closest to expiry, and only if the newcomer outlives it.
            var soonest = 0;
            for (var i = 1; i < list.Count; i++)
            {
                if (list[i].ExpiresUnixMs < list[soonest].ExpiresUnixMs)
                {
                    soonest = i;
                }
            }

            if (list[soonest].ExpiresUnixMs >= record.ExpiresUnixMs)
            {
                return RecordRejection.StoreFull;
            }

            Forget(list[soonest].Provider);
            list.RemoveAt(soonest);
        }

        list.Add(record);
        _heldPerProvider[record.Provider] = HeldFrom(record.Provider) + 1;
        return RecordRejection.None;
    }

    // Where the key's list holds this provider's record; -1 when it holds none.
    private static int IndexOfProvider(List<ProviderRecord> list, PeerId provider)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i].Provider == provider)
            {
                return i;
            }
        }

        return -1;
    }

    private void Forget(PeerId provider)
    {
        var held = HeldFrom(provider) - 1;
        if (held > 0)
        {
            _heldPerProvider[provider] = held;
        }
        else
        {
            _heldPerProvider.Remove(provider);
        }
    }

    /// <summary>
    /// Remembers this node's own announcement <paramref name="record"/> (its provider is this node; the
    /// caller ensures that), announced at <paramref name="announcedAt"/>, so it can be re-announced every
    /// <see cref="DhtOptions.RepublishInterval"/> and saved across restarts. A later announcement of the
    /// same key replaces the earlier one. Expiry is checked like a provider record from the network (the
    /// signature is this node's own, and a record saved before signatures is signed when next announced);
    /// at most <see cref="DhtOptions.MaxRecords"/> keys are remembered.
    /// </summary>
    public RecordRejection AddAnnounced(ProviderRecord record, DateTimeOffset announcedAt, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(record);
        var verdict = _validator.ValidateProviderUnsigned(record, record.Provider, now);
        if (verdict != RecordRejection.None)
        {
            return verdict;
        }

        if (_announced.TryGetValue(record.Key, out var existing))
        {
            existing.Record = record;
            existing.LastAnnounced = announcedAt;
            return RecordRejection.None;
        }

        if (_announced.Count >= _options.MaxRecords)
        {
            return RecordRejection.StoreFull;
        }

        _announced.Add(record.Key, new Announcement(record, announcedAt));
        return RecordRejection.None;
    }

    /// <summary>
    /// Appends this node's unexpired announcements last announced <see cref="DhtOptions.RepublishInterval"/>
    /// ago or more. Re-announcing replaces them through <see cref="AddAnnounced"/> with a later expiry.
    /// </summary>
    public void CollectAnnouncementsDue(DateTimeOffset now, List<ProviderRecord> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        var nowMs = now.ToUnixTimeMilliseconds();
        foreach (var a in _announced.Values)
        {
            if (a.Record.ExpiresUnixMs > nowMs && now - a.LastAnnounced >= _options.RepublishInterval)
            {
                into.Add(a.Record);
            }
        }
    }

    /// <summary>Writes unexpired providers of <paramref name="key"/> into <paramref name="destination"/>; returns how many.</summary>
    public int GetProviders(PeerId key, DateTimeOffset now, Span<ProviderRecord> destination)
    {
        if (!_providers.TryGetValue(key, out var list))
        {
            return 0;
        }

        var nowMs = now.ToUnixTimeMilliseconds();
        var n = 0;
        foreach (var p in list)
        {
            if (n == destination.Length)
            {
                break;
            }

            if (p.ExpiresUnixMs > nowMs)
            {
                destination[n++] = p;
            }
        }

        return n;
    }

    /// <summary>Drops every expired value record, provider record and own announcement; returns how many were dropped.</summary>
    public int RemoveExpired(DateTimeOffset now)
    {
        var nowMs = now.ToUnixTimeMilliseconds();
        var removed = 0;
        foreach (var (key, entry) in _records)
        {
            if (entry.Record.ExpiresUnixMs <= nowMs)
            {
                _records.Remove(key);
                removed++;
            }
        }

        foreach (var (key, list) in _providers)
        {
            for (var i = list.Count - 1; i >= 0; i--)
            {
                if (list[i].ExpiresUnixMs <= nowMs)
                {
                    Forget(list[i].Provider);
                    list.RemoveAt(i);
                    removed++;
                }
            }

            if (list.Count == 0)
            {
                _providers.Remove(key);
            }
        }

        foreach (var (key, a) in _announced)
        {
            if (a.Record.ExpiresUnixMs <= nowMs)
            {
                _announced.Remove(key);
                removed++;
            }
        }

        return removed;
    }

    /// <summary>
    /// Appends the unexpired records due for republishing at <paramref name="now"/>: those last published
    /// or received <see cref="DhtOptions.RepublishInterval"/> ago or more. A record someone else stored
    /// here again in the meantime is not due (Kademlia §2.5: only one holder needs to re-send each hour).
    /// Call <see cref="MarkRepublished"/> after sending.
    /// </summary>
    public void CollectRepublishDue(DateTimeOffset now, List<RepublishDecision> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        var nowMs = now.ToUnixTimeMilliseconds();
        var resignBeforeMs = (long)(2 * _options.RepublishInterval.TotalMilliseconds);
        foreach (var entry in _records.Values)
        {
            if (entry.Record.ExpiresUnixMs <= nowMs || now - entry.LastPublished < _options.RepublishInterval)
            {
                continue;
            }

            // The publisher's own record would expire within two republish rounds: ask for a fresh signature.
            var needsResign = entry.Local && entry.Record.ExpiresUnixMs - nowMs < resignBeforeMs;
            into.Add(new RepublishDecision(entry.Record, entry.Local, needsResign));
        }
    }

    /// <summary>Records that <paramref name="key"/> was republished at <paramref name="now"/>.</summary>
    public void MarkRepublished(PeerId key, DateTimeOffset now)
    {
        if (_records.TryGetValue(key, out var e))
        {
            e.LastPublished = now;
        }
    }

    /// <summary>The earliest time at which a record becomes due for republishing or expires; null when empty.</summary>
    public DateTimeOffset? NextDeadline()
    {
        DateTimeOffset? next = null;
        foreach (var e in _records.Values)
        {
            var due = e.LastPublished + _options.RepublishInterval;
            var expires = e.Record.Expires;
            var first = due < expires ? due : expires;
            if (next is null || first < next)
            {
                next = first;
            }
        }

        return next;
    }

    /// <summary>Appends every value record unexpired at <paramref name="now"/>, with whether this node published it.</summary>
    public void CopyRecords(DateTimeOffset now, List<Persistence.SavedRecord> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        var nowMs = now.ToUnixTimeMilliseconds();
        foreach (var entry in _records.Values)
        {
            if (entry.Record.ExpiresUnixMs > nowMs)
            {
                into.Add(new Persistence.SavedRecord(entry.Record, entry.Local));
            }
        }
    }

    /// <summary>
    /// Appends every provider record unexpired at <paramref name="now"/>: those held for other peers, then
    /// this node's own announcements (<see cref="Persistence.SavedProvider.AnnouncedLocally"/>).
    /// </summary>
    public void CopyProviders(DateTimeOffset now, List<Persistence.SavedProvider> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        var nowMs = now.ToUnixTimeMilliseconds();
        foreach (var list in _providers.Values)
        {
            foreach (var p in list)
            {
                if (p.ExpiresUnixMs > nowMs)
                {
                    into.Add(new Persistence.SavedProvider(p, AnnouncedLocally: false));
                }
            }
        }

        foreach (var a in _announced.Values)
        {
            if (a.Record.ExpiresUnixMs > nowMs)
            {
                into.Add(new Persistence.SavedProvider(a.Record, AnnouncedLocally: true));
            }
        }
    }
}
