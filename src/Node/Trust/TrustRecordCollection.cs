using Overlay.Crypto;
using Overlay.Placement;
using Overlay.Placement.Trust;

namespace Overlay.Node.Trust;

/// <summary>
/// The signed local-trust records a node holds for <c>trust/1</c>: its own, re-signed every
/// <see cref="PlacementOptions.TrustPublishInterval"/>, and other nodes' as a <see cref="TrustRecordBook"/> checked
/// them, each with its issuer's identity key so the node can pass it on. A record arrives with its issuer's key
/// (the asker says which keys it lacks); the key must hash to the issuer's PeerId, so a relay cannot swap it.
/// </summary>
/// <remarks>
/// Admission, in front of the book: only a record whose issuer holds global trust in the node's last computation,
/// or is pre-trusted, is taken (<see cref="TrustRecordRejection.UnknownIssuer"/> otherwise). The rows of peers
/// without trust do not change EigenTrust's result (they are multiplied by t_i = 0), so the node collects outward
/// from the pre-trusted peers and itself along positive entries, and a swarm of fresh identities naming each
/// other never gets in. When <see cref="PlacementOptions.MaxTrustRecords"/> are held, a new issuer replaces the
/// held issuer with the least trust if it has more (<see cref="TrustRecordRejection.BookFull"/> otherwise), and
/// <see cref="Wants"/> does not ask for the record of an issuer that would be refused so.
/// Every refusal is counted by reason on the placement meter. Thread-safe.
/// </remarks>
public sealed class TrustRecordCollection
{
    private readonly Lock _gate = new();
    // Issuers whose key this collection holds in the keyring (released when their row goes).
    private readonly HashSet<PeerId> _keyHeld = [];
    private readonly PeerId _self;
    private readonly PlacementOptions _options;
    private readonly PlacementMetrics _metrics;
    private readonly IdentityKeyring _keyring;
    private readonly HashSet<PeerId> _preTrusted;
    private Func<PeerId, double> _trustOf = static _ => 0;
    private IdentityPublicKey? _offered;
    private OwnRecord? _own;
    private double? _leastHeld;
    private PeerId? _leastHeldIssuer;

    /// <summary>
    /// The collection of node <paramref name="self"/>, keeping issuers' keys in the node's <paramref name="keyring"/> (one of
    /// its own when null): a key held there for another reason (a capacity record) checks the issuer's rows without being
    /// fetched again.
    /// </summary>
    public TrustRecordCollection(PeerId self, PlacementOptions options, IEnumerable<PeerId> preTrusted, PlacementMetrics metrics, IdentityKeyring? keyring = null)
        : this(self, options, preTrusted, metrics, keyring ?? new IdentityKeyring(), checkSignatures: true)
    {
    }

    /// <summary>As the public constructor; <paramref name="checkSignatures"/> false takes records unverified (tests showing what the check prevents).</summary>
    internal TrustRecordCollection(PeerId self, PlacementOptions options, IEnumerable<PeerId> preTrusted, PlacementMetrics metrics, IdentityKeyring keyring, bool checkSignatures)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(preTrusted);
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(keyring);
        _self = self;
        _options = options;
        _metrics = metrics;
        _keyring = keyring;
        _preTrusted = [.. preTrusted];
        Book = new TrustRecordBook(self, options, KeyOf, metrics, checkSignatures);
    }

    /// <summary>Other nodes' records, as checked.</summary>
    public TrustRecordBook Book { get; }

    /// <summary>This node's latest record, or null before the first.</summary>
    public TrustRecord? Own => Volatile.Read(ref _own)?.Record;

    /// <summary>Sets who counts as known: an issuer with trust above zero in <paramref name="trustOf"/> (the latest computation) is admitted.</summary>
    public void SetStanding(Func<PeerId, double> trustOf)
    {
        ArgumentNullException.ThrowIfNull(trustOf);
        Volatile.Write(ref _trustOf, trustOf);
        lock (_gate)
        {
            _leastHeld = null;
        }
    }

    /// <summary>Makes <paramref name="record"/>, signed by this node under <paramref name="key"/>, the one it serves as its own.</summary>
    public void Publish(TrustRecord record, IdentityPublicKey key)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(key);
        if (record.Issuer != _self || key.PeerId != _self)
        {
            throw new ArgumentException("A node publishes only its own record, under its own key.", nameof(record));
        }

        Volatile.Write(ref _own, new OwnRecord(record, key));
    }

    /// <summary>
    /// Whether this node would take a record of <paramref name="issuer"/> issued at <paramref name="issuedUnixMs"/>: not its own,
    /// newer than the one held, from an admitted issuer, and, when <see cref="PlacementOptions.MaxTrustRecords"/> are held
    /// and the issuer is not among them, more trusted than the least trusted held issuer. A full book would refuse any other
    /// as <see cref="TrustRecordRejection.BookFull"/>, so the node does not fetch it: with more admitted issuers than the
    /// book holds, every round would otherwise download the rows of all the others only to drop them.
    /// </summary>
    public bool Wants(PeerId issuer, long issuedUnixMs)
    {
        if (issuer == _self || !Admitted(issuer))
        {
            return false;
        }

        if (Book.Find(issuer) is { } held)
        {
            return held.IssuedUnixMs < issuedUnixMs;
        }

        lock (_gate)
        {
            return Book.Count < _options.MaxTrustRecords || Rank(issuer) > LeastHeldRank();
        }
    }

    /// <summary>Whether the identity key of <paramref name="issuer"/> is already known here (so an asker need not fetch it again).</summary>
    public bool HasKey(PeerId issuer) => KeyOf(issuer) is not null;

    /// <summary>
    /// Checks an arriving record, with the issuer's key when <paramref name="carriedKey"/> is not empty, and keeps it
    /// when every check passes. Returns why it was refused, or <see cref="TrustRecordRejection.None"/>.
    /// </summary>
    public TrustRecordRejection TryAccept(ReadOnlySpan<byte> carriedKey, ReadOnlySpan<byte> encoded, DateTimeOffset now)
    {
        var decoded = TrustRecordCodec.TryDecode(encoded, _options.MaxRecordEntries, out var record);
        if (decoded != TrustRecordRejection.None)
        {
            return Reject(decoded);
        }

        IdentityPublicKey? key = null;
        if (!carriedKey.IsEmpty && (!IdentityPublicKey.TryDecode(carriedKey, out key) || key.PeerId != record!.Issuer))
        {
            return Reject(TrustRecordRejection.KeyMismatch);
        }

        var issuer = record!.Issuer;
        if (issuer != _self && !Admitted(issuer))
        {
            return Reject(TrustRecordRejection.UnknownIssuer);
        }

        lock (_gate)
        {
            if (issuer != _self && Book.Find(issuer) is null && Book.Count >= _options.MaxTrustRecords && !MakeRoomFor(issuer))
            {
                return Reject(TrustRecordRejection.BookFull);
            }

            // The book asks KeyOf for the issuer's key: the one held, else the one carried (already matched to the PeerId).
            _offered = key;
            try
            {
                var verdict = Book.TryAccept(record, now);
                if (verdict == TrustRecordRejection.None)
                {
                    _leastHeld = null;
                    // The record is served on with its issuer's key: hold it here, whichever holder brought it.
                    if (issuer != _self && !_keyHeld.Contains(issuer) && (key ?? _keyring.Find(issuer)) is { } known)
                    {
                        _keyring.Hold(known);
                        _keyHeld.Add(issuer);
                    }
                }

                return verdict;
            }
            finally
            {
                _offered = null;
            }
        }
    }

    /// <summary>
    /// The records held (this node's own first, then by issuer) after <paramref name="after"/>, at most <paramref name="max"/>;
    /// <paramref name="more"/> says whether others follow.
    /// </summary>
    public List<TrustInventoryEntry> Inventory(PeerId? after, int max, out bool more)
    {
        var entries = new List<TrustInventoryEntry>();
        var all = new List<TrustInventoryEntry>();
        if (Volatile.Read(ref _own) is { } own)
        {
            all.Add(new TrustInventoryEntry(_self, own.Record.IssuedUnixMs));
        }

        foreach (var record in Book.Snapshot())
        {
            all.Add(new TrustInventoryEntry(record.Issuer, record.IssuedUnixMs));
        }

        all.Sort(static (a, b) => a.Issuer.CompareTo(b.Issuer));
        more = false;
        foreach (var entry in all)
        {
            if (after is { } cursor && entry.Issuer.CompareTo(cursor) <= 0)
            {
                continue;
            }

            if (entries.Count == max)
            {
                more = true;
                break;
            }

            entries.Add(entry);
        }

        return entries;
    }

    /// <summary>The encoded record of <paramref name="issuer"/> (this node's own included) and the issuer's key, if held.</summary>
    public bool TryGet(PeerId issuer, out byte[] encoded, out IdentityPublicKey? key)
    {
        if (issuer == _self && Volatile.Read(ref _own) is { } own)
        {
            encoded = TrustRecordCodec.Encode(own.Record);
            key = own.Key;
            return true;
        }

        key = KeyOf(issuer);
        if (Book.Find(issuer) is { } record && key is not null)
        {
            encoded = TrustRecordCodec.Encode(record);
            return true;
        }

        encoded = [];
        return false;
    }

    /// <summary>Drops records that expired and those whose issuers no longer hold trust or pre-trust; returns how many.</summary>
    public int Prune(DateTimeOffset now)
    {
        var dropped = Book.Prune(now);
        foreach (var record in Book.Snapshot())
        {
            if (!Admitted(record.Issuer) && Book.Remove(record.Issuer))
            {
                dropped++;
            }
        }

        lock (_gate)
        {
            _leastHeld = null;
            foreach (var issuer in _keyHeld.ToArray())
            {
                if (Book.Find(issuer) is null)
                {
                    Release(issuer);
                }
            }
        }

        return dropped;
    }

    private bool Admitted(PeerId issuer) => _preTrusted.Contains(issuer) || Volatile.Read(ref _trustOf)(issuer) > 0;

    // Called under _gate: evicts the held issuer with the least trust when it has less than the newcomer.
    private bool MakeRoomFor(PeerId issuer)
    {
        if (LeastHeldRank() >= Rank(issuer) || _leastHeldIssuer is not { } evicted)
        {
            return false;
        }

        Book.Remove(evicted);
        Release(evicted);
        _leastHeld = null;
        return true;
    }

    // How an issuer ranks for a place in a full book: pre-trusted first, then by global trust in the last computation.
    private double Rank(PeerId issuer) => _preTrusted.Contains(issuer) ? double.PositiveInfinity : Volatile.Read(ref _trustOf)(issuer);

    // Called under _gate: the rank of the least trusted held issuer (positive infinity for an empty book), found once
    // per change of the book or of the standing, so an inventory of thousands of issuers costs one scan, not one each.
    private double LeastHeldRank()
    {
        if (_leastHeld is { } least)
        {
            return least;
        }

        PeerId? weakest = null;
        var rank = double.PositiveInfinity;
        foreach (var record in Book.Snapshot())
        {
            var trust = Rank(record.Issuer);
            if (trust < rank)
            {
                rank = trust;
                weakest = record.Issuer;
            }
        }

        _leastHeldIssuer = weakest;
        _leastHeld = rank;
        return rank;
    }

    private IdentityPublicKey? KeyOf(PeerId issuer)
    {
        lock (_gate)
        {
            return _keyring.Find(issuer) ?? (_offered is { } offered && offered.PeerId == issuer ? offered : null);
        }
    }

    // Called under _gate: lets go of this collection's hold on the issuer's key.
    private void Release(PeerId issuer)
    {
        if (_keyHeld.Remove(issuer))
        {
            _keyring.Release(issuer);
        }
    }

    private TrustRecordRejection Reject(TrustRecordRejection reason)
    {
        _metrics.RecordRejected(reason);
        return reason;
    }

    // Encoded when served, as the others' are: a node keeps each record once, decoded.
    private sealed record OwnRecord(TrustRecord Record, IdentityPublicKey Key);
}
