using System.Buffers.Binary;
using System.Diagnostics.Metrics;
using Overlay.Crypto;
using Overlay.Placement;
using Overlay.Placement.Trust;

namespace Overlay.Sim.Trust;

/// <summary>
/// The rows of one round as signed records on their way to a collector: each peer signs its own row with its
/// hybrid identity, forgers write records in another peer's name signed with their own key, and the collector
/// either checks every record in a <see cref="TrustRecordBook"/> (<see cref="TrustRecordMode.Signed"/>) or
/// keeps the newest well-formed record per issuer unchecked (<see cref="TrustRecordMode.Unchecked"/>). All
/// honest peers are assumed to collect the same records, so one collector stands for every one of them.
/// </summary>
internal sealed class TrustRecordExchange : IDisposable
{
    private readonly TrustRecordMode _mode;
    private readonly PlacementOptions _options;
    private readonly Meter _meter = new("Overlay.Sim.Trust.Records");
    private readonly TrustRecordBook? _book;
    private readonly Dictionary<PeerId, TrustRecord> _unchecked = new();

    public TrustRecordExchange(TrustRecordMode mode, PlacementOptions options, IReadOnlyList<NodeIdentity> identities, Random random)
    {
        _mode = mode;
        _options = options;
        Metrics = new PlacementMetrics(_meter);
        var keys = identities.ToDictionary(identity => identity.PeerId, identity => identity.PublicKey);
        // The collector is an observer outside the network: no record is its own.
        _book = mode == TrustRecordMode.Signed
            ? new TrustRecordBook(PeerId.Random(random), options, peer => keys.GetValueOrDefault(peer), Metrics)
            : null;
    }

    /// <summary>Records accepted and refused (by reason) by the checking collector.</summary>
    public PlacementMetrics Metrics { get; }

    /// <summary>Forged records the unchecking collector took in place of the named issuer's own.</summary>
    public long ForgeriesTaken { get; private set; }

    /// <summary><paramref name="issuer"/> publishes its own <paramref name="row"/>, signed, issued at <paramref name="at"/>.</summary>
    public void Publish(NodeIdentity issuer, LocalTrustVector row, DateTimeOffset at) =>
        Offer(TrustRecordCodec.Encode(TrustRecord.Sign(issuer, at, row)), at, forged: false);

    /// <summary>
    /// <paramref name="forger"/> publishes <paramref name="row"/> in the name of <paramref name="victim"/>, signed
    /// with the forger's own key (it has no other), issued at <paramref name="at"/>.
    /// </summary>
    public void Forge(NodeIdentity forger, PeerId victim, LocalTrustVector row, DateTimeOffset at)
    {
        var payload = new byte[TrustRecordCodec.SigningPayloadLength(row.Count)];
        TrustRecordCodec.WriteSigningPayload(victim, at.ToUnixTimeMilliseconds(), row, payload);
        var signature = forger.Sign(payload);
        // The encoding is the signed payload without its context string, then the signature's length and bytes.
        var body = payload.AsSpan(TrustRecordCodec.SigningContext.Length);
        var encoded = new byte[body.Length + 2 + signature.Length];
        body.CopyTo(encoded);
        BinaryPrimitives.WriteUInt16BigEndian(encoded.AsSpan(body.Length), (ushort)signature.Length);
        signature.CopyTo(encoded.AsSpan(body.Length + 2));
        Offer(encoded, at, forged: true);
    }

    /// <summary>The collected records as matrix rows.</summary>
    public IEnumerable<TrustRecord> Records() => _book is not null ? _book.Snapshot() : _unchecked.Values;

    public void Dispose() => _meter.Dispose();

    private void Offer(byte[] encoded, DateTimeOffset now, bool forged)
    {
        if (_book is not null)
        {
            _book.TryAccept(encoded, now);
            return;
        }

        // No signature check: a well-formed record newer than the held one replaces it.
        if (TrustRecordCodec.TryDecode(encoded, _options.MaxRecordEntries, out var record) != TrustRecordRejection.None)
        {
            return;
        }

        if (!_unchecked.TryGetValue(record!.Issuer, out var held) || record.IssuedUnixMs > held.IssuedUnixMs)
        {
            _unchecked[record.Issuer] = record;
            ForgeriesTaken += forged ? 1 : 0;
        }
    }
}
