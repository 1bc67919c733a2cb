using Overlay.Crypto;

namespace Overlay.Placement.Trust;

/// <summary>
/// The local-trust records a node has collected from its peers: the newest valid record of each issuer.
/// Only a record that passes every check enters; each refusal is typed and counted. Checks run cheapest
/// first: size and structure (<see cref="TrustRecordCodec.TryDecode"/>), then the issuer's key, age and
/// version, and only then the signature, so a flood of junk or replays costs no signature verification.
/// Thread-safe; verification runs outside the lock.
/// </summary>
public sealed class TrustRecordBook
{
    private readonly Dictionary<PeerId, TrustRecord> _records = new();
    private readonly Lock _gate = new();
    private readonly PeerId _self;
    private readonly Func<PeerId, IdentityPublicKey?> _keyOf;
    private readonly int _maxEntries;
    private readonly long _maxAgeMs;
    private readonly long _maxSkewMs;
    private readonly bool _checkSignatures;

    /// <summary>
    /// A book for node <paramref name="self"/>. <paramref name="keyOf"/> returns the identity key of a peer
    /// this node knows (from a handshake or the routing table), or null: records of unknown issuers are refused.
    /// </summary>
    public TrustRecordBook(PeerId self, PlacementOptions options, Func<PeerId, IdentityPublicKey?> keyOf, PlacementMetrics metrics)
        : this(self, options, keyOf, metrics, checkSignatures: true)
    {
    }

    /// <summary>As the public constructor; <paramref name="checkSignatures"/> false takes records without verifying them (tests showing what the check prevents).</summary>
    internal TrustRecordBook(PeerId self, PlacementOptions options, Func<PeerId, IdentityPublicKey?> keyOf, PlacementMetrics metrics, bool checkSignatures)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(keyOf);
        ArgumentNullException.ThrowIfNull(metrics);
        _self = self;
        _keyOf = keyOf;
        _maxEntries = options.MaxRecordEntries;
        _maxAgeMs = (long)options.MaxRecordAge.TotalMilliseconds;
        _maxSkewMs = (long)options.MaxClockSkew.TotalMilliseconds;
        Metrics = metrics;
        _checkSignatures = checkSignatures;
    }

    /// <summary>Where accepted and refused records are counted.</summary>
    public PlacementMetrics Metrics { get; }

    /// <summary>Issuers whose record is held.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _records.Count;
            }
        }
    }

    /// <summary>Decodes, checks and (when every check passes) keeps the record in <paramref name="encoded"/>.</summary>
    public TrustRecordRejection TryAccept(ReadOnlySpan<byte> encoded, DateTimeOffset now)
    {
        var decoded = TrustRecordCodec.TryDecode(encoded, _maxEntries, out var record);
        return decoded != TrustRecordRejection.None ? Reject(decoded) : TryAccept(record!, now);
    }

    /// <summary>Checks and (when every check passes) keeps a decoded record.</summary>
    public TrustRecordRejection TryAccept(TrustRecord record, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (record.Vector.Count > _maxEntries)
        {
            return Reject(TrustRecordRejection.TooManyEntries);
        }

        if (record.Issuer == _self)
        {
            return Reject(TrustRecordRejection.OwnRecord);
        }

        var key = _keyOf(record.Issuer);
        if (key is null)
        {
            return Reject(TrustRecordRejection.UnknownIssuer);
        }

        var nowMs = now.ToUnixTimeMilliseconds();
        if (record.IssuedUnixMs < nowMs - _maxAgeMs)
        {
            return Reject(TrustRecordRejection.Expired);
        }

        if (record.IssuedUnixMs > nowMs + _maxSkewMs)
        {
            return Reject(TrustRecordRejection.FromTheFuture);
        }

        if (!IsNewer(record))
        {
            return Reject(TrustRecordRejection.Replayed);
        }

        if (_checkSignatures && !record.VerifySignature(key))
        {
            return Reject(TrustRecordRejection.BadSignature);
        }

        lock (_gate)
        {
            // Checked again: another thread may have stored a newer record while this one was verified.
            if (_records.TryGetValue(record.Issuer, out var held) && held.IssuedUnixMs >= record.IssuedUnixMs)
            {
                return Reject(TrustRecordRejection.Replayed);
            }

            _records[record.Issuer] = record;
        }

        Metrics.RecordAccepted();
        return TrustRecordRejection.None;
    }

    /// <summary>The record held from <paramref name="issuer"/>, if any.</summary>
    public TrustRecord? Find(PeerId issuer)
    {
        lock (_gate)
        {
            return _records.GetValueOrDefault(issuer);
        }
    }

    /// <summary>The records held, ordered by issuer.</summary>
    public IReadOnlyList<TrustRecord> Snapshot()
    {
        List<TrustRecord> records;
        lock (_gate)
        {
            records = [.. _records.Values];
        }

        records.Sort(static (a, b) => a.Issuer.CompareTo(b.Issuer));
        return records;
    }

    /// <summary>Drops the record of <paramref name="issuer"/> (for example one that left the network); true when one was held.</summary>
    public bool Remove(PeerId issuer)
    {
        lock (_gate)
        {
            return _records.Remove(issuer);
        }
    }

    /// <summary>Drops records issued longer than <see cref="PlacementOptions.MaxRecordAge"/> before <paramref name="now"/>; returns how many.</summary>
    public int Prune(DateTimeOffset now)
    {
        var oldest = now.ToUnixTimeMilliseconds() - _maxAgeMs;
        lock (_gate)
        {
            var stale = new List<PeerId>();
            foreach (var (issuer, record) in _records)
            {
                if (record.IssuedUnixMs < oldest)
                {
                    stale.Add(issuer);
                }
            }

            foreach (var issuer in stale)
            {
                _records.Remove(issuer);
            }

            return stale.Count;
        }
    }

    private bool IsNewer(TrustRecord record)
    {
        lock (_gate)
        {
            return !_records.TryGetValue(record.Issuer, out var held) || record.IssuedUnixMs > held.IssuedUnixMs;
        }
    }

    private TrustRecordRejection Reject(TrustRecordRejection reason)
    {
        Metrics.RecordRejected(reason);
        return reason;
    }
}
