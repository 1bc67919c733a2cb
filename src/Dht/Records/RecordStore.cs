using Overlay.Crypto;

namespace Overlay.Dht.Records;

/// <summary>
/// In-memory store of value and provider records with expiry and republish scheduling. It does no I/O
/// and reads no clock: every call takes <c>now</c>, and republishing is returned as decisions for the
/// service to carry out. Not thread-safe: one owner calls it. Three kinds of record live here, each kept
/// apart with its own limits: value records (<see cref="ValueRecords"/>), provider records held for other
/// peers (<see cref="HeldProviders"/>) and this node's own announcements (<see cref="OwnAnnouncements"/>).
/// </summary>
public sealed class RecordStore
{
    private readonly ValueRecords _values;
    private readonly HeldProviders _providers;
    private readonly OwnAnnouncements _announced;

    /// <summary>Creates an empty store.</summary>
    public RecordStore(DhtOptions options, RecordValidator validator)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(validator);
        _values = new ValueRecords(options, validator);
        _providers = new HeldProviders(options, validator);
        _announced = new OwnAnnouncements(options, validator);
    }

    /// <summary>Value records held, expired ones included until <see cref="RemoveExpired"/> runs.</summary>
    public int Count => _values.Count;

    /// <summary>Content keys with at least one provider.</summary>
    public int ProviderKeyCount => _providers.KeyCount;

    /// <summary>Content keys this node announced itself as a provider of, expired ones included until <see cref="RemoveExpired"/> runs.</summary>
    public int AnnouncedCount => _announced.Count;

    /// <summary>
    /// Validates and stores <paramref name="record"/> at <paramref name="now"/>. A higher sequence replaces
    /// the stored one; the same record again only counts as a fresh store (it postpones re-replication,
    /// the Kademlia §2.5 optimisation). <paramref name="publishedLocally"/> marks this node's own records.
    /// </summary>
    public RecordRejection Put(DhtRecord record, DateTimeOffset now, bool publishedLocally = false) =>
        _values.Put(record, now, publishedLocally, checkSignature: true);

    /// <summary>
    /// Takes back a record saved before a restart, with the checks of <see cref="Put(DhtRecord, DateTimeOffset, bool)"/>
    /// except the signature when <paramref name="sealed"/>: the node checked it before it saved it, and the
    /// row's seal shows nobody changed it since (<see cref="Persistence.SavedRecord.Sealed"/>).
    /// </summary>
    public RecordRejection Restore(DhtRecord record, DateTimeOffset now, bool publishedLocally, bool @sealed) =>
        _values.Put(record, now, publishedLocally, checkSignature: !@sealed);

    /// <summary>The unexpired record under <paramref name="key"/>, or null.</summary>
    public DhtRecord? Get(PeerId key, DateTimeOffset now) => _values.Get(key, now);

    /// <summary>
    /// Validates and stores a provider record sent by <paramref name="sender"/> (it must be the provider, and the
    /// record signed by it); a later one from the same provider replaces it, an earlier one is refused
    /// (<see cref="RecordRejection.OlderAnnouncement"/>).
    /// </summary>
    public RecordRejection AddProvider(ProviderRecord record, PeerId sender, DateTimeOffset now) =>
        _providers.Add(record, sender, now, checkSignature: true);

    /// <summary>
    /// Takes back a provider record held for another peer and saved before a restart, with the checks of
    /// <see cref="AddProvider(ProviderRecord, PeerId, DateTimeOffset)"/> except the signature when
    /// <paramref name="sealed"/>: this node checked it before it saved it, and the row's seal shows nobody changed it since.
    /// An unsigned record (saved before provider records were signed) is refused: nobody could check it.
    /// </summary>
    public RecordRejection RestoreProvider(ProviderRecord record, DateTimeOffset now, bool @sealed)
    {
        ArgumentNullException.ThrowIfNull(record);
        return _providers.Add(record, record.Provider, now, checkSignature: !@sealed || !record.IsSigned);
    }

    /// <summary>
    /// Validates a provider batch sent by <paramref name="sender"/> and keeps a record per id (docs/PROTOCOL.md, "Provider
    /// batch (kind 3)"), appending them to <paramref name="kept"/>. Cheapest first: size, expiry, sender, sorted ids; then
    /// whether any id is already held from this provider with a later expiry (<see cref="RecordRejection.OlderAnnouncement"/>:
    /// an older batch replayed), the per-provider and total limits; the Merkle root and the one signature last. All or
    /// nothing, except that an id whose key already keeps <see cref="DhtOptions.MaxProvidersPerKey"/> providers that all
    /// outlive the batch is skipped, as a single record would be refused.
    /// </summary>
    public RecordRejection AddProviderBatch(ProviderBatch batch, PeerId sender, DateTimeOffset now, List<ProviderRecord>? kept = null) =>
        _providers.AddBatch(batch, sender, now, kept);

    /// <summary>Provider ids kept for <paramref name="provider"/> now, single and batched, expired ones included until <see cref="RemoveExpired"/> runs.</summary>
    public int HeldFrom(PeerId provider) => _providers.HeldFrom(provider);

    /// <summary>
    /// Remembers this node's own announcement <paramref name="record"/> (its provider is this node; the
    /// caller ensures that), announced at <paramref name="announcedAt"/>, so it can be re-announced every
    /// <see cref="DhtOptions.RepublishInterval"/> and saved across restarts. A later announcement of the
    /// same key replaces the earlier one. Expiry is checked like a provider record from the network (the
    /// signature is this node's own, and a record saved before signatures is signed when next announced);
    /// at most <see cref="DhtOptions.MaxRecords"/> keys are remembered.
    /// </summary>
    public RecordRejection AddAnnounced(ProviderRecord record, DateTimeOffset announcedAt, DateTimeOffset now) =>
        _announced.Add(record, announcedAt, now);

    /// <summary>
    /// Appends this node's unexpired announcements last announced <see cref="DhtOptions.RepublishInterval"/>
    /// ago or more. Re-announcing replaces them through <see cref="AddAnnounced"/> with a later expiry.
    /// </summary>
    public void CollectAnnouncementsDue(DateTimeOffset now, List<ProviderRecord> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        _announced.CollectDue(now, into);
    }

    /// <summary>Writes unexpired providers of <paramref name="key"/> into <paramref name="destination"/>; returns how many.</summary>
    public int GetProviders(PeerId key, DateTimeOffset now, Span<ProviderRecord> destination) => _providers.Get(key, now, destination);

    /// <summary>Drops every expired value record, provider record and own announcement; returns how many were dropped.</summary>
    public int RemoveExpired(DateTimeOffset now)
    {
        var nowMs = now.ToUnixTimeMilliseconds();
        return _values.RemoveExpired(nowMs) + _providers.RemoveExpired(nowMs) + _announced.RemoveExpired(nowMs);
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
        _values.CollectRepublishDue(now, into);
    }

    /// <summary>Records that <paramref name="key"/> was republished at <paramref name="now"/>.</summary>
    public void MarkRepublished(PeerId key, DateTimeOffset now) => _values.MarkRepublished(key, now);

    /// <summary>The earliest time at which a record becomes due for republishing or expires; null when empty.</summary>
    public DateTimeOffset? NextDeadline() => _values.NextDeadline();

    /// <summary>Appends every value record unexpired at <paramref name="now"/>, with whether this node published it.</summary>
    public void CopyRecords(DateTimeOffset now, List<Persistence.SavedRecord> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        _values.CopyTo(now.ToUnixTimeMilliseconds(), into);
    }

    /// <summary>
    /// Appends every provider record unexpired at <paramref name="now"/>: those held for other peers, then
    /// this node's own announcements (<see cref="Persistence.SavedProvider.AnnouncedLocally"/>).
    /// </summary>
    public void CopyProviders(DateTimeOffset now, List<Persistence.SavedProvider> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        var nowMs = now.ToUnixTimeMilliseconds();
        _providers.CopyTo(nowMs, into);
        _announced.CopyTo(nowMs, into);
    }
}
