using Overlay.Crypto;

namespace Overlay.Placement.Capacity;

/// <summary>
/// The capacity records a node took from its peers, each checked, with what the node observed of the peer's room
/// since: the bytes it stored there and whether the peer refused a store. <see cref="FreeBytesFor"/> is what
/// placement weighs: the smaller of the claim and the observation (docs/PLACEMENT.md, "Capacity records").
/// </summary>
/// <remarks>
/// A record comes straight from its issuer (the node asks the peer itself), so it must name the peer that
/// answered; the key, carried the first time, must hash to that PeerId. Checks run cheapest first, and every
/// refusal is counted by reason. At most <see cref="PlacementOptions.MaxTrackedPeers"/> peers are kept; beyond that
/// the one with the oldest record is forgotten. Thread-safe.
/// </remarks>
public sealed class CapacityBook
{
    private readonly Lock _gate = new();
    private readonly Dictionary<PeerId, Entry> _entries = [];
    private readonly PlacementOptions _options;
    private readonly CapacityMetrics _metrics;
    private readonly IdentityKeyring _keyring;
    private readonly bool _checkSignatures;

    /// <summary>
    /// A book under <paramref name="options"/>' record interval, clock skew and peer limit, keeping its peers' keys in the
    /// node's <paramref name="keyring"/> (one of its own when null) and checking records with any key held there.
    /// </summary>
    public CapacityBook(PlacementOptions options, CapacityMetrics metrics, IdentityKeyring? keyring = null)
        : this(options, metrics, keyring ?? new IdentityKeyring(), checkSignatures: true)
    {
    }

    /// <summary>As the public constructor; <paramref name="checkSignatures"/> false takes records unverified (tests showing what the check prevents).</summary>
    internal CapacityBook(PlacementOptions options, CapacityMetrics metrics, IdentityKeyring keyring, bool checkSignatures)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(keyring);
        _options = options;
        _metrics = metrics;
        _keyring = keyring;
        _checkSignatures = checkSignatures;
    }

    /// <summary>Peers with a record held.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count(e => e.Value.Record is not null);
            }
        }
    }

    /// <summary>The record held of <paramref name="peer"/> (its checked fields, without the signature), or null.</summary>
    public CapacityRecord? Find(PeerId peer)
    {
        lock (_gate)
        {
            return _entries.GetValueOrDefault(peer)?.Record;
        }
    }

    /// <summary>Whether this node holds <paramref name="peer"/>'s identity key, here or elsewhere in its keyring (so it need not be sent again).</summary>
    public bool HasKey(PeerId peer)
    {
        // The entries' keys are held in the keyring too.
        return _keyring.Find(peer) is not null;
    }

    /// <summary>Whether <paramref name="peer"/>'s record is missing or older than <see cref="PlacementOptions.CapacityRecordInterval"/> at <paramref name="now"/>: worth asking for.</summary>
    public bool Wants(PeerId peer, DateTimeOffset now) =>
        Find(peer) is not { } held || held.IssuedAt + _options.CapacityRecordInterval <= now;

    /// <summary>
    /// Checks the record <paramref name="answering"/> sent about itself (with its key when <paramref name="carriedKey"/> is
    /// not empty) and keeps it when every check passes. Returns why it was refused, or <see cref="CapacityRecordRejection.None"/>.
    /// </summary>
    public CapacityRecordRejection TryAccept(PeerId answering, ReadOnlySpan<byte> carriedKey, ReadOnlySpan<byte> encoded, DateTimeOffset now)
    {
        var decoded = CapacityRecordCodec.TryDecode(encoded, out var record);
        if (decoded != CapacityRecordRejection.None)
        {
            return Reject(decoded);
        }

        if (record!.Issuer != answering)
        {
            return Reject(CapacityRecordRejection.WrongIssuer);
        }

        IdentityPublicKey? key = null;
        if (!carriedKey.IsEmpty && (!IdentityPublicKey.TryDecode(carriedKey, out key) || key.PeerId != answering))
        {
            return Reject(CapacityRecordRejection.KeyMismatch);
        }

        var issued = record.IssuedAt;
        if (issued + (2 * _options.CapacityRecordInterval) <= now)
        {
            return Reject(CapacityRecordRejection.Expired);
        }

        if (issued > now + _options.MaxClockSkew)
        {
            return Reject(CapacityRecordRejection.FromTheFuture);
        }

        lock (_gate)
        {
            var entry = _entries.GetValueOrDefault(answering);
            if (entry?.Record is { } held && held.IssuedUnixMs >= record.IssuedUnixMs)
            {
                return Reject(CapacityRecordRejection.Replayed);
            }

            key = entry?.Key ?? key ?? _keyring.Find(answering);
            if (key is null)
            {
                return Reject(CapacityRecordRejection.UnknownIssuer);
            }

            if (_checkSignatures && !record.VerifySignature(key))
            {
                return Reject(CapacityRecordRejection.BadSignature);
            }

            if (entry is null)
            {
                MakeRoom();
                entry = new Entry();
                _entries[answering] = entry;
            }

            // Only the checked fields: the hybrid signature (3,309 bytes, most of an entry) is never read again,
            // and a node holds one record per contact.
            entry.Record = record.Checked();
            entry.Key ??= _keyring.Hold(key);
            // The new claim already counts what was stored before it was issued.
            entry.StoredSince = 0;
        }

        _metrics.Accepted();
        return CapacityRecordRejection.None;
    }

    /// <summary>Counts <paramref name="bytes"/> that <paramref name="peer"/> acknowledged storing at <paramref name="at"/>: they come off its claim.</summary>
    public void Stored(PeerId peer, long bytes, DateTimeOffset at)
    {
        lock (_gate)
        {
            if (_entries.GetValueOrDefault(peer) is { Record: { } record } entry && at >= record.IssuedAt)
            {
                entry.StoredSince += Math.Max(0, bytes);
            }
        }
    }

    /// <summary>Notes that <paramref name="peer"/> refused a store at <paramref name="at"/>: its claim counts for nothing until a newer record.</summary>
    public void Refused(PeerId peer, DateTimeOffset at)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(peer, out var entry))
            {
                MakeRoom();
                entry = new Entry();
                _entries[peer] = entry;
            }

            if (entry.RefusedAt is not { } last || at > last)
            {
                entry.RefusedAt = at;
            }
        }
    }

    /// <summary>
    /// The free bytes placement weighs <paramref name="peer"/> by at <paramref name="now"/>: its claim less what this node
    /// stored there since the claim, 0 when it refused a store since the claim; <paramref name="unknown"/> when no
    /// fresh record is held (none, or older than twice <see cref="PlacementOptions.CapacityRecordInterval"/>), unless
    /// a refusal was seen after the last record (or with none), which counts as 0.
    /// </summary>
    public long FreeBytesFor(PeerId peer, DateTimeOffset now, long unknown)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(peer, out var entry))
            {
                return unknown;
            }

            var record = entry.Record;
            var fresh = record is not null && record.IssuedAt + (2 * _options.CapacityRecordInterval) > now;
            if (entry.RefusedAt is { } refused && (record is null || refused >= record.IssuedAt))
            {
                return 0;
            }

            return fresh ? Math.Max(0, record!.FreeBytes - entry.StoredSince) : unknown;
        }
    }

    /// <summary>
    /// Forgets what placement no longer weighs at <paramref name="now"/>: a record older than twice
    /// <see cref="PlacementOptions.CapacityRecordInterval"/> (<see cref="FreeBytesFor"/> already answers "unknown" for it)
    /// with its issuer's key, and the whole entry unless a refusal newer than that record still voids the peer's claim.
    /// Returns how many records were dropped.
    /// </summary>
    /// <remarks>
    /// A node pulls records from its contacts, and contacts change: without this the book would keep the record and the
    /// 1,985-byte key of every peer that was ever a contact, up to <see cref="PlacementOptions.MaxTrackedPeers"/> of them
    /// (about 130 MB), although only the fresh ones are weighed. A peer asked again after this sends its key again.
    /// </remarks>
    public int Prune(DateTimeOffset now)
    {
        var dropped = 0;
        lock (_gate)
        {
            List<PeerId>? forgotten = null;
            foreach (var (peer, entry) in _entries)
            {
                if (entry.Record is not { } record || record.IssuedAt + (2 * _options.CapacityRecordInterval) > now)
                {
                    continue;
                }

                dropped++;
                if (entry.RefusedAt is { } refused && refused >= record.IssuedAt)
                {
                    // The refusal still counts for 0 with the record gone, as it did over the expired record.
                    entry.Record = null;
                    Forget(peer, entry);
                    entry.StoredSince = 0;
                }
                else
                {
                    (forgotten ??= []).Add(peer);
                }
            }

            foreach (var peer in forgotten ?? [])
            {
                Forget(peer, _entries[peer]);
                _entries.Remove(peer);
            }
        }

        return dropped;
    }

    /// <summary>Counts a refusal found before the book saw a record (an answer whose framing does not decode).</summary>
    public CapacityRecordRejection Reject(CapacityRecordRejection reason)
    {
        _metrics.Rejected(reason);
        return reason;
    }

    // Under _gate: forgets the peer with the oldest record (or none) when the book is full.
    private void MakeRoom()
    {
        if (_entries.Count < _options.MaxTrackedPeers)
        {
            return;
        }

        PeerId? oldest = null;
        var least = long.MaxValue;
        foreach (var (peer, entry) in _entries)
        {
            var issued = entry.Record?.IssuedUnixMs ?? -1;
            if (issued < least)
            {
                least = issued;
                oldest = peer;
            }
        }

        if (oldest is { } evicted)
        {
            Forget(evicted, _entries[evicted]);
            _entries.Remove(evicted);
        }
    }

    // Under _gate: lets go of the entry's hold on the peer's key.
    private void Forget(PeerId peer, Entry entry)
    {
        if (entry.Key is not null)
        {
            entry.Key = null;
            _keyring.Release(peer);
        }
    }

    private sealed class Entry
    {
        public CapacityRecord? Record { get; set; }

        public IdentityPublicKey? Key { get; set; }

        public long StoredSince { get; set; }

        public DateTimeOffset? RefusedAt { get; set; }
    }
}
