using System.Buffers.Binary;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Overlay.Crypto;
using Overlay.Node.Trust;
using Overlay.Placement;
using Overlay.Placement.Capacity;
using Overlay.Placement.Trust;
using Overlay.Transport.InMemory;
using static Overlay.Node.Tests.Trust.TrustTestData;

namespace Overlay.Node.Tests.Trust;

/// <summary>What the records <c>trust/1</c> brings must pass before they enter the matrix: each refusal typed, counted, and kept out.</summary>
public sealed class TrustRecordCollectionTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly Meter _meter = new("test.trust.collection");
    private readonly NodeIdentity _self = Identity(1);
    private readonly NodeIdentity _issuer = Identity(2);
    private readonly NodeIdentity _attacker = Identity(3);

    public void Dispose()
    {
        _meter.Dispose();
        _self.Dispose();
        _issuer.Dispose();
        _attacker.Dispose();
    }

    public static TheoryData<string, TrustRecordRejection> Refusals => new()
    {
        { "bad signature", TrustRecordRejection.BadSignature },
        { "key of another", TrustRecordRejection.KeyMismatch },
        { "key that does not decode", TrustRecordRejection.KeyMismatch },
        { "no key", TrustRecordRejection.UnknownIssuer },
        { "issuer without trust", TrustRecordRejection.UnknownIssuer },
        { "oversized", TrustRecordRejection.TooLarge },
        { "NaN", TrustRecordRejection.BadValue },
        { "negative", TrustRecordRejection.BadValue },
        { "not normalised", TrustRecordRejection.NotNormalised },
        { "names its issuer", TrustRecordRejection.NamesIssuer },
        { "older version replayed", TrustRecordRejection.Replayed },
        { "own record", TrustRecordRejection.OwnRecord },
        { "expired", TrustRecordRejection.Expired },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void TryAccept_BadRecord_TypedCountedAndNeverHeld(string change, TrustRecordRejection expected)
    {
        var records = Collection(preTrusted: change == "issuer without trust" ? [] : [_issuer.PeerId]);
        var key = _issuer.PublicKey.Encoded.ToArray();
        var bytes = Encode(_issuer, Now, Row(3));
        var entry0 = TrustRecordCodec.HeaderSize;
        switch (change)
        {
            case "bad signature":
                // The attacker's row in the issuer's name, carrying the issuer's real key: only the signature check stops it.
                bytes = Encode(_attacker, Now, Row(3));
                _issuer.PeerId.WriteTo(bytes.AsSpan(1));
                break;
            case "key of another":
                key = _attacker.PublicKey.Encoded.ToArray();
                break;
            case "key that does not decode":
                key = [9, 1, 2, 3];
                break;
            case "no key":
                key = [];
                break;
            case "oversized":
                bytes = new byte[TrustRecordCodec.MaxEncodedLength(new PlacementOptions().MaxRecordEntries) + 1];
                break;
            case "NaN":
                BinaryPrimitives.WriteSingleBigEndian(bytes.AsSpan(entry0 + PeerId.Size), float.NaN);
                break;
            case "negative":
                BinaryPrimitives.WriteSingleBigEndian(bytes.AsSpan(entry0 + PeerId.Size), -0.5f);
                break;
            case "not normalised":
                BinaryPrimitives.WriteSingleBigEndian(bytes.AsSpan(entry0 + PeerId.Size), 0.01f);
                break;
            case "names its issuer":
                bytes = Encode(_issuer, Now, Row(1));
                _issuer.PeerId.WriteTo(bytes.AsSpan(entry0));
                break;
            case "older version replayed":
                Assert.Equal(TrustRecordRejection.None, records.TryAccept(key, bytes, Now));
                bytes = Encode(_issuer, Now.AddMinutes(-10), Row(3));
                break;
            case "own record":
                bytes = Encode(_self, Now, Row(3));
                key = _self.PublicKey.Encoded.ToArray();
                break;
            case "expired":
                bytes = Encode(_issuer, Now - TimeSpan.FromDays(3), Row(3));
                break;
        }

        var held = records.Book.Count;
        Assert.Equal(expected, records.TryAccept(key, bytes, Now));
        Assert.Equal(1, records.Book.Metrics.RecordsRejected(expected));
        Assert.Equal(held, records.Book.Count);
        if (change != "older version replayed")
        {
            Assert.Null(records.Book.Find(_issuer.PeerId));
        }
    }

    [Fact]
    public void TryAccept_SeededRandomKeysAndRecords_NeverThrowNeverHeld()
    {
        var records = Collection(preTrusted: [_issuer.PeerId]);
        var random = new Random(81);
        var valid = Encode(_issuer, Now, Row(4));
        var key = _issuer.PublicKey.Encoded.ToArray();
        for (var i = 0; i < 5_000; i++)
        {
            var bytes = new byte[random.Next(0, 400)];
            random.NextBytes(bytes);
            Assert.NotEqual(TrustRecordRejection.None, records.TryAccept(i % 2 == 0 ? key : bytes.AsSpan(0, Math.Min(bytes.Length, 40)), bytes, Now));
        }

        // Single-byte changes of a valid record's header and entries (a sample of the signature too).
        var signatureAt = TrustRecordCodec.HeaderSize + (4 * TrustRecordCodec.EntrySize);
        for (var at = 0; at < valid.Length; at += at < signatureAt + 8 ? 1 : 97)
        {
            var mutated = (byte[])valid.Clone();
            mutated[at] ^= (byte)(1 + random.Next(255));
            Assert.NotEqual(TrustRecordRejection.None, records.TryAccept(key, mutated, Now));
        }

        Assert.Equal(0, records.Book.Count);
        Assert.Equal(TrustRecordRejection.None, records.TryAccept(key, valid, Now));
    }

    [Fact]
    public void TryAccept_WhenFull_AMoreTrustedIssuerReplacesTheLeastTrusted_ALessTrustedOneIsRefused()
    {
        using var keys = new Issuers(10, 4);
        var issuers = keys.All;
        var trust = issuers.Select((id, i) => (id.PeerId, Trust: 0.1 * (i + 1))).ToDictionary(p => p.PeerId, p => p.Trust);
        var records = Collection(preTrusted: [], maxRecords: 2);
        records.SetStanding(p => trust.GetValueOrDefault(p));
        Assert.Equal(TrustRecordRejection.None, Offer(records, issuers[1]));
        Assert.Equal(TrustRecordRejection.None, Offer(records, issuers[2]));
        Assert.Equal(TrustRecordRejection.BookFull, Offer(records, issuers[0]));
        Assert.Equal(TrustRecordRejection.None, Offer(records, issuers[3]));
        Assert.Null(records.Book.Find(issuers[1].PeerId));
        Assert.NotNull(records.Book.Find(issuers[3].PeerId));
        Assert.Equal(2, records.Book.Count);
        Assert.Equal(1, records.Book.Metrics.RecordsRejected(TrustRecordRejection.BookFull));
    }

    /// <summary>
    /// A full book does not ask for a row it would refuse: only an issuer more trusted than the least trusted held one is
    /// wanted (besides newer versions of the held rows), and a change of standing changes which.
    /// </summary>
    [Fact]
    public void Wants_WhenFull_OnlyAnIssuerMoreTrustedThanTheLeastHeld_AndNewerVersionsOfTheHeld()
    {
        using var keys = new Issuers(10, 4);
        var issuers = keys.All;
        var trust = issuers.Select((id, i) => (id.PeerId, Trust: 0.1 * (i + 1))).ToDictionary(p => p.PeerId, p => p.Trust);
        var records = Collection(preTrusted: [], maxRecords: 2);
        records.SetStanding(p => trust.GetValueOrDefault(p));
        var later = Now.AddMinutes(1).ToUnixTimeMilliseconds();
        Assert.True(records.Wants(issuers[0].PeerId, later));
        Assert.Equal(TrustRecordRejection.None, Offer(records, issuers[1]));
        Assert.Equal(TrustRecordRejection.None, Offer(records, issuers[2]));

        Assert.False(records.Wants(issuers[0].PeerId, later));
        Assert.True(records.Wants(issuers[3].PeerId, later));
        Assert.True(records.Wants(issuers[1].PeerId, later));
        Assert.False(records.Wants(issuers[1].PeerId, Now.ToUnixTimeMilliseconds()));

        trust[issuers[0].PeerId] = 0.9;
        records.SetStanding(p => trust.GetValueOrDefault(p));
        Assert.True(records.Wants(issuers[0].PeerId, later));
        Assert.Equal(TrustRecordRejection.None, Offer(records, issuers[0]));
        Assert.Null(records.Book.Find(issuers[1].PeerId));
        Assert.False(records.Wants(issuers[1].PeerId, later));
    }

    /// <summary>
    /// At the daemon's defaults a node holds the rows of the 32 most trusted issuers, not of every issuer with trust: the
    /// book's memory (about 15.6 KB a row at 256 entries) does not grow with the network.
    /// </summary>
    [Fact]
    public void Defaults_MoreIssuersWithTrustThanTheBookHolds_KeepsThe32MostTrusted()
    {
        using var keys = new Issuers(100, 34);
        var issuers = keys.All;
        var trust = issuers.Select((id, i) => (id.PeerId, Trust: 0.001 * (i + 1))).ToDictionary(p => p.PeerId, p => p.Trust);
        var records = new TrustRecordCollection(_self.PeerId, new PlacementOptions(), [], new PlacementMetrics(_meter));
        records.SetStanding(p => trust.GetValueOrDefault(p));
        foreach (var issuer in issuers)
        {
            Assert.Equal(TrustRecordRejection.None, Offer(records, issuer));
        }

        Assert.Equal(32, records.Book.Count);
        Assert.Null(records.Book.Find(issuers[0].PeerId));
        Assert.Null(records.Book.Find(issuers[1].PeerId));
        Assert.NotNull(records.Book.Find(issuers[2].PeerId));
        Assert.False(records.Wants(issuers[0].PeerId, Now.AddMinutes(1).ToUnixTimeMilliseconds()));
    }

    [Fact]
    public void TryAccept_KeyHeldFromAnEarlierRecord_NeedsNoKeyAgain()
    {
        var records = Collection(preTrusted: [_issuer.PeerId]);
        Assert.False(records.HasKey(_issuer.PeerId));
        Assert.Equal(TrustRecordRejection.None, records.TryAccept(_issuer.PublicKey.Encoded, Encode(_issuer, Now, Row(2)), Now));
        Assert.True(records.HasKey(_issuer.PeerId));
        Assert.Equal(TrustRecordRejection.None, records.TryAccept([], Encode(_issuer, Now.AddMinutes(1), Row(3)), Now.AddMinutes(1)));
        Assert.Equal(3, records.Book.Find(_issuer.PeerId)!.Vector.Count);
    }

    [Fact]
    public void TryAccept_KeyHeldForTheIssuersCapacityRecord_ChecksItsRowWithoutFetchingTheKey_AndKeepsOneCopy()
    {
        var keyring = new IdentityKeyring();
        var options = new PlacementOptions();
        var capacity = new CapacityBook(options, new CapacityMetrics(_meter), keyring);
        var records = new TrustRecordCollection(_self.PeerId, options, [_issuer.PeerId], new PlacementMetrics(_meter), keyring);
        Assert.Equal(CapacityRecordRejection.None, capacity.TryAccept(
            _issuer.PeerId, _issuer.PublicKey.Encoded, CapacityRecordCodec.Encode(CapacityRecord.Sign(_issuer, Now, 1L << 30, 1L << 40)), Now));

        // The asker says which keys it lacks: not this one, and the row arriving without it is checked and taken.
        Assert.True(records.HasKey(_issuer.PeerId));
        Assert.Equal(TrustRecordRejection.None, records.TryAccept([], Encode(_issuer, Now, Row(2)), Now));
        Assert.True(records.TryGet(_issuer.PeerId, out _, out var served));
        Assert.Same(keyring.Find(_issuer.PeerId), served);
        Assert.Equal(1, keyring.Count);

        // The capacity record goes stale and is forgotten: the row is still served with its key.
        capacity.Prune(Now + (2 * options.CapacityRecordInterval));
        Assert.Null(capacity.Find(_issuer.PeerId));
        Assert.True(records.TryGet(_issuer.PeerId, out _, out served));
        Assert.Equal(_issuer.PeerId, served!.PeerId);

        // And a key carried with a row is the one the capacity book checks the issuer's next record with.
        var later = Now + (2 * options.CapacityRecordInterval);
        Assert.True(capacity.HasKey(_issuer.PeerId));
        Assert.Equal(CapacityRecordRejection.None, capacity.TryAccept(
            _issuer.PeerId, [], CapacityRecordCodec.Encode(CapacityRecord.Sign(_issuer, later, 1L << 30, 1L << 40)), later));
        Assert.Equal(1, keyring.Count);
    }

    [Fact]
    public void Prune_IssuerWithoutStanding_ReleasesItsKey_UnlessTheCapacityBookStillHoldsIt()
    {
        var keyring = new IdentityKeyring();
        var options = new PlacementOptions();
        using var contact = Identity(5);
        var capacity = new CapacityBook(options, new CapacityMetrics(_meter), keyring);
        var records = new TrustRecordCollection(_self.PeerId, options, [], new PlacementMetrics(_meter), keyring);
        records.SetStanding(p => p == _issuer.PeerId || p == contact.PeerId ? 0.5 : 0);
        Assert.Equal(CapacityRecordRejection.None, capacity.TryAccept(
            contact.PeerId, contact.PublicKey.Encoded, CapacityRecordCodec.Encode(CapacityRecord.Sign(contact, Now, 1L << 30, 1L << 40)), Now));
        Assert.Equal(TrustRecordRejection.None, records.TryAccept(_issuer.PublicKey.Encoded, Encode(_issuer, Now, Row(2)), Now));
        Assert.Equal(TrustRecordRejection.None, records.TryAccept([], Encode(contact, Now, Row(2)), Now));
        Assert.Equal(2, keyring.Count);

        records.SetStanding(static _ => 0);
        Assert.Equal(2, records.Prune(Now));
        Assert.Null(keyring.Find(_issuer.PeerId));
        Assert.NotNull(keyring.Find(contact.PeerId));
        Assert.Equal(1, keyring.Count);
    }

    /// <summary>
    /// A forged row in a pre-trusted peer's name, giving its trust to the forger: with the signature check off it
    /// enters the matrix and the forger draws a large share of global trust; with it on it is refused and the forger keeps none.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ForgedRecord_InAPreTrustedPeersName_RaisesTheForgerOnlyWithoutTheSignatureCheck(bool checkSignatures)
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var clock = new VirtualTimeProvider(Now);
        var trust = new TrustService(
            _self, new PlacementOptions(), [_issuer.PeerId], "trust", clock, services.GetRequiredService<IMeterFactory>(), NullLogger<TrustService>.Instance, checkSignatures);
        trust.Recompute();

        // The attacker signs a row that puts all of the pre-trusted issuer's trust on the attacker, then claims the issuer wrote it.
        // (Signed with another key of the attacker's: a row cannot name its own signer.)
        using var signer = Identity(4);
        var forged = Encode(signer, Now, LocalTrustVector.FromScores(_issuer.PeerId, [new(_attacker.PeerId, 1.0)], 256));
        _issuer.PeerId.WriteTo(forged.AsSpan(1));
        var verdict = trust.Records.TryAccept(_issuer.PublicKey.Encoded, forged, Now);
        var forgerTrust = trust.Recompute().TrustOf(_attacker.PeerId);

        if (checkSignatures)
        {
            Assert.Equal(TrustRecordRejection.BadSignature, verdict);
            Assert.Equal(0, forgerTrust);
        }
        else
        {
            // The defence switched off: the forgery is taken, and the issuer's pre-trust flows to the forger. The node has no
            // observations yet, so its own share of p passes on as p too: the forger gets (1 − a) of the issuer's trust,
            // a (1 − σ) / (1 + (1 − a)(1 − σ)) = 0.048 at the defaults.
            Assert.Equal(TrustRecordRejection.None, verdict);
            Assert.True(forgerTrust > 0.04, $"forger's trust {forgerTrust}");
        }
    }

    // Identities numbered from first, disposed together.
    private sealed class Issuers(int first, int count) : IDisposable
    {
        public NodeIdentity[] All { get; } = [.. Enumerable.Range(first, count).Select(Identity)];

        public void Dispose()
        {
            foreach (var id in All)
            {
                id.Dispose();
            }
        }
    }

    private TrustRecordRejection Offer(TrustRecordCollection records, NodeIdentity issuer) =>
        records.TryAccept(issuer.PublicKey.Encoded, Encode(issuer, Now, Row(2)), Now);

    private TrustRecordCollection Collection(PeerId[] preTrusted, int maxRecords = 16384) =>
        new(_self.PeerId, new PlacementOptions { MaxTrustRecords = maxRecords }, preTrusted, new PlacementMetrics(_meter));

    private static byte[] Encode(NodeIdentity issuer, DateTimeOffset at, LocalTrustVector row) => TrustRecordCodec.Encode(TrustRecord.Sign(issuer, at, row));


}
