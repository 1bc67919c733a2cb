using Overlay.Crypto;
using Overlay.Dht.Records;
using Overlay.Dht.Wire;

namespace Overlay.Dht.Tests;

/// <summary>
/// The set of provider records whose signature was checked: the same signed bytes are verified once, anything else
/// (a forgery naming the same provider and key included) is verified in full, entries end with their record's expiry
/// and the set stays within its capacity. Keyed by provider id alone, the same forgeries pass: the attack the
/// exact-bytes key defends against.
/// </summary>
public sealed class CheckedProviderRecordsTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly DhtOptions _options = DhtTestNetwork.DefaultOptions();
    private readonly NodeIdentity _holder = NodeIdentity.FromRandom(new Random(301));
    private readonly NodeIdentity _attacker = NodeIdentity.FromRandom(new Random(302));

    public void Dispose()
    {
        _holder.Dispose();
        _attacker.Dispose();
    }

    public enum Forgery
    {
        /// <summary>Names the holder for the same key, signed by the attacker with the attacker's own key.</summary>
        OtherKey,

        /// <summary>The holder's real record with one signature bit flipped.</summary>
        Tampered,

        /// <summary>The holder's real record with a later expiry than the holder signed.</summary>
        Lengthened,

        /// <summary>The holder's real signature and key, moved onto another content key.</summary>
        OtherContent,
    }

    [Fact]
    public void ValidateProviderAnswer_TheSameRecordSixtyTimes_IsVerifiedOnce()
    {
        var verifier = new CountingVerifier();
        var validator = new RecordValidator(_options, verifier);
        var record = SignedProviders.Sign(_holder, PeerId.Random(new Random(1)), T0.AddHours(1));

        for (var i = 0; i < 60; i++)
        {
            Assert.Equal(RecordRejection.None, validator.ValidateProviderAnswer(record, T0.AddSeconds(i)));
        }

        Assert.Equal(1, verifier.Verified);
        Assert.Equal(59, validator.CheckedProviders.Hits);
        Assert.Equal(1, validator.CheckedProviders.Misses);
    }

    [Fact]
    public void ValidateProviderAnswer_AnEqualRecordDecodedAgain_IsAHit()
    {
        // What a lookup sees: every answer carries its own copy of the provider's one record.
        var validator = new RecordValidator(_options, new CountingVerifier());
        var record = SignedProviders.Sign(_holder, PeerId.Random(new Random(2)), T0.AddHours(1));
        var copy = new ProviderRecord(record.Key, record.Provider, record.ExpiresUnixMs, record.ProviderPublicKey.ToArray(), record.Signature.ToArray());

        Assert.Equal(RecordRejection.None, validator.ValidateProviderAnswer(record, T0));
        Assert.Equal(RecordRejection.None, validator.ValidateProviderAnswer(copy, T0));
        Assert.Equal(1, validator.CheckedProviders.Hits);
    }

    [Theory]
    [InlineData(Forgery.OtherKey, false, RecordRejection.ProviderKeyMismatch)]
    [InlineData(Forgery.OtherKey, true, RecordRejection.None)]
    [InlineData(Forgery.Tampered, false, RecordRejection.BadSignature)]
    [InlineData(Forgery.Tampered, true, RecordRejection.None)]
    [InlineData(Forgery.Lengthened, false, RecordRejection.BadSignature)]
    [InlineData(Forgery.Lengthened, true, RecordRejection.None)]
    [InlineData(Forgery.OtherContent, false, RecordRejection.BadSignature)]
    [InlineData(Forgery.OtherContent, true, RecordRejection.None)]
    public void ValidateProviderAnswer_AForgeryAfterTheProvidersRealRecordWasChecked_IsRefusedUnlessKeyedByProviderOnly(Forgery forgery, bool byProviderOnly, RecordRejection expected)
    {
        var validator = new RecordValidator(_options, new IdentityRecordVerifier(), new CheckedProviderRecords { KeyByProviderOnly = byProviderOnly });
        var key = PeerId.Random(new Random(3));
        var real = SignedProviders.Sign(_holder, key, T0.AddHours(1));
        Assert.Equal(RecordRejection.None, validator.ValidateProviderAnswer(real, T0));

        // The cache is warm with the real record: the forgery names the same provider (and, but for OtherContent, the same key).
        Assert.Equal(expected, validator.ValidateProviderAnswer(Forge(forgery, real), T0.AddSeconds(1)));
        Assert.Equal(byProviderOnly ? 1 : 0, validator.CheckedProviders.Hits);
    }

    [Fact]
    public void AddProvider_AForgeryFromTheNamedSender_IsRefusedWithTheCacheWarm()
    {
        // The store path shares the validator: a record checked in an answer does not let a different one in.
        var validator = new RecordValidator(_options, new IdentityRecordVerifier());
        var store = new RecordStore(_options, validator);
        var key = PeerId.Random(new Random(4));
        var real = SignedProviders.Sign(_holder, key, T0.AddHours(1));
        Assert.Equal(RecordRejection.None, validator.ValidateProviderAnswer(real, T0));

        Assert.Equal(RecordRejection.BadSignature, store.AddProvider(Forge(Forgery.Lengthened, real), _holder.PeerId, T0));
        Assert.Equal(RecordRejection.None, store.AddProvider(real, _holder.PeerId, T0));
        Assert.Equal(1, validator.CheckedProviders.Hits);
    }

    [Fact]
    public void ValidateProviderAnswer_ARefusedRecord_IsNotRemembered()
    {
        var verifier = new CountingVerifier();
        var validator = new RecordValidator(_options, verifier);
        var tampered = Forge(Forgery.Tampered, SignedProviders.Sign(_holder, PeerId.Random(new Random(5)), T0.AddHours(1)));

        Assert.Equal(RecordRejection.BadSignature, validator.ValidateProviderAnswer(tampered, T0));
        Assert.Equal(RecordRejection.BadSignature, validator.ValidateProviderAnswer(tampered, T0));
        Assert.Equal(2, verifier.Verified);
        Assert.Equal(0, validator.CheckedProviders.Count);
    }

    [Fact]
    public void Contains_AtTheRecordsExpiry_MissesAndForgetsIt()
    {
        var set = new CheckedProviderRecords(8);
        var record = SignedProviders.Sign(_holder, PeerId.Random(new Random(6)), T0.AddMinutes(10));
        var key = set.KeyOf(record, [1, 2, 3]);
        set.Add(key, record.ExpiresUnixMs);

        Assert.True(set.Contains(key, record.ExpiresUnixMs - 1));
        Assert.False(set.Contains(key, record.ExpiresUnixMs));
        Assert.Equal(0, set.Count);
        Assert.Equal(1, set.Hits);
        Assert.Equal(1, set.Misses);
    }

    [Fact]
    public void ValidateProviderAnswer_MoreRecordsThanTheCapacity_KeepsTheMostRecentlyUsed()
    {
        var verifier = new CountingVerifier();
        var validator = new RecordValidator(_options, verifier, new CheckedProviderRecords(2));
        var records = Enumerable.Range(0, 3).Select(i => SignedProviders.Sign(_holder, PeerId.Random(new Random(10 + i)), T0.AddHours(1))).ToArray();

        validator.ValidateProviderAnswer(records[0], T0);
        validator.ValidateProviderAnswer(records[1], T0);
        validator.ValidateProviderAnswer(records[0], T0); // used again: records[1] is now the least recently used
        validator.ValidateProviderAnswer(records[2], T0); // evicts records[1]
        Assert.Equal(3, verifier.Verified);
        validator.ValidateProviderAnswer(records[0], T0);
        Assert.Equal(3, verifier.Verified);
        validator.ValidateProviderAnswer(records[1], T0);
        Assert.Equal(4, verifier.Verified);
        Assert.Equal(2, validator.CheckedProviders.Count);
    }

    [Fact]
    public void ValidateProviderAnswer_CapacityZero_VerifiesEveryTime()
    {
        var verifier = new CountingVerifier();
        var validator = new RecordValidator(_options, verifier, new CheckedProviderRecords(0));
        var record = SignedProviders.Sign(_holder, PeerId.Random(new Random(7)), T0.AddHours(1));

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(RecordRejection.None, validator.ValidateProviderAnswer(record, T0));
        }

        Assert.Equal(5, verifier.Verified);
        Assert.Equal(0, validator.CheckedProviders.Hits);
    }

    private ProviderRecord Forge(Forgery forgery, ProviderRecord real)
    {
        switch (forgery)
        {
            case Forgery.OtherKey:
                return SignedProviders.Forge(_attacker, _holder.PeerId, real.Key, real.Expires);
            case Forgery.Tampered:
                var signature = real.Signature.ToArray();
                signature[10] ^= 0x04;
                return new ProviderRecord(real.Key, real.Provider, real.ExpiresUnixMs, real.ProviderPublicKey, signature);
            case Forgery.Lengthened:
                return new ProviderRecord(real.Key, real.Provider, real.ExpiresUnixMs + 600_000, real.ProviderPublicKey, real.Signature);
            default:
                return new ProviderRecord(PeerId.Random(new Random(99)), real.Provider, real.ExpiresUnixMs, real.ProviderPublicKey, real.Signature);
        }
    }

    /// <summary>The real check, counting the signatures it verifies.</summary>
    private sealed class CountingVerifier : IRecordSignatureVerifier
    {
        private readonly IdentityRecordVerifier _real = new();

        public int Verified { get; private set; }

        public bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
        {
            Verified++;
            return _real.Verify(publicKey, message, signature);
        }

        public bool IsKeyOf(ReadOnlySpan<byte> publicKey, PeerId peer) => _real.IsKeyOf(publicKey, peer);
    }
}
