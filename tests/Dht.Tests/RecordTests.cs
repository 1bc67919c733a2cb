using System.Buffers.Binary;
using Overlay.Crypto;
using Overlay.Dht.Records;
using Overlay.Testing;

namespace Overlay.Dht.Tests;

public sealed class RecordTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly EcdsaPublisher _publisher = new();
    private readonly EcdsaPublisher _other = new();
    private readonly EcdsaRecordVerifier _verifier = new();
    private readonly DhtOptions _options = new();
    private readonly NodeIdentity[] _holders = [.. Enumerable.Range(0, 5).Select(i => NodeIdentity.FromRandom(new Random(100 + i)))];

    public void Dispose()
    {
        _publisher.Dispose();
        _other.Dispose();
        foreach (var h in _holders)
        {
            h.Dispose();
        }
    }

    private DhtRecord Make(ulong sequence, string value = "hello", DateTimeOffset? expires = null, EcdsaPublisher? by = null, PeerId? key = null)
    {
        by ??= _publisher;
        return DhtRecord.Create(key ?? TinyIds.Of(0x42), System.Text.Encoding.UTF8.GetBytes(value), by.PublicKey, sequence, expires ?? T0.AddHours(12), by.Sign);
    }

    [Fact]
    public void SigningPayload_Layout_IsAsDocumented()
    {
        var key = TinyIds.Of(0xAB);
        var payload = new byte[RecordEncoding.SigningPayloadLength(2, 3)];
        var n = RecordEncoding.WriteSigningPayload(key, [0xEE, 0xFF], [1, 2, 3], sequence: 7, expiresUnixMs: 0x0102030405, payload);
        var expected = "6f7665726c61792f6468742f7265636f7264" // "overlay/dht/record"
            + "01" + "01"                                   // version, kind = value
            + "ab" + new string('0', 62)                    // key
            + "0003" + "010203"                             // public key
            + "0000000000000007"                            // sequence
            + "0000000102030405"                            // expiry, Unix ms
            + "00000002" + "eeff";                          // value
        Assert.Equal(payload.Length, n);
        Assert.Equal(expected, Hex.Encode(payload));
    }

    [Fact]
    public void Encode_ThenTryDecode_RoundTripsBothKinds()
    {
        var record = Make(5);
        var bytes = RecordEncoding.Encode(record);
        Assert.True(RecordEncoding.TryDecode(bytes, _options, out var value, out var provider, out var error));
        Assert.Equal(RecordDecodeError.None, error);
        Assert.Null(provider);
        Assert.True(record.ContentEquals(value!));
        Assert.Equal(record.Expires, value!.Expires);

        var p = SignedProviders.Sign(_holders[1], TinyIds.Of(1), T0.AddHours(1));
        Assert.True(RecordEncoding.TryDecode(RecordEncoding.Encode(p), _options, out value, out provider, out _));
        Assert.Null(value);
        Assert.Equal(p, provider);
    }

    [Theory]
    [InlineData(new byte[0], RecordDecodeError.Truncated)]
    [InlineData(new byte[] { 2, 1 }, RecordDecodeError.UnsupportedVersion)]
    [InlineData(new byte[] { 1, 9 }, RecordDecodeError.UnknownKind)]
    [InlineData(new byte[] { 1, 1, 0 }, RecordDecodeError.Truncated)]
    public void TryDecode_ShortOrUnknown_GivesTypedError(byte[] bytes, RecordDecodeError expected)
    {
        Assert.False(RecordEncoding.TryDecode(bytes, _options, out var v, out var p, out var error));
        Assert.Null(v);
        Assert.Null(p);
        Assert.Equal(expected, error);
    }

    [Fact]
    public void TryDecode_DeclaredLengthsOverLimits_RefusedBeforeReading()
    {
        var bytes = RecordEncoding.Encode(Make(1));
        var pkAt = 2 + PeerId.Size;
        var tooLongKey = (byte[])bytes.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(tooLongKey.AsSpan(pkAt), (ushort)(_options.MaxPublicKeyBytes + 1));
        Assert.False(RecordEncoding.TryDecode(tooLongKey, _options, out _, out _, out var error));
        Assert.Equal(RecordDecodeError.PublicKeyLength, error);

        var valueAt = pkAt + 2 + _publisher.PublicKey.Length + 16;
        var hugeValue = (byte[])bytes.Clone();
        BinaryPrimitives.WriteUInt32BigEndian(hugeValue.AsSpan(valueAt), uint.MaxValue);
        Assert.False(RecordEncoding.TryDecode(hugeValue, _options, out _, out _, out error));
        Assert.Equal(RecordDecodeError.ValueTooLarge, error);

        var negativeExpiry = (byte[])bytes.Clone();
        negativeExpiry[valueAt - 8] = 0x80;
        Assert.False(RecordEncoding.TryDecode(negativeExpiry, _options, out _, out _, out error));
        Assert.Equal(RecordDecodeError.ExpiryOutOfRange, error);

        Assert.False(RecordEncoding.TryDecode([.. bytes, 0], _options, out _, out _, out error));
        Assert.Equal(RecordDecodeError.TrailingBytes, error);
        Assert.False(RecordEncoding.TryDecode(bytes.AsSpan(0, bytes.Length - 1), _options, out _, out _, out error));
        Assert.Equal(RecordDecodeError.Truncated, error);
    }

    [Fact]
    public void TryDecode_ThousandsOfRandomAndMutatedInputs_NeverThrows_AndAcceptedOnesAreCanonical()
    {
        var random = new Random(99);
        var seeds = new[]
        {
            RecordEncoding.Encode(Make(1)),
            RecordEncoding.Encode(Make(2, new string('x', 300))),
            RecordEncoding.Encode(SignedProviders.Sign(_holders[4], TinyIds.Of(3), T0)),
        };
        var counts = new Dictionary<RecordDecodeError, int>();
        for (var i = 0; i < 20_000; i++)
        {
            byte[] input;
            switch (i % 4)
            {
                case 0:
                    input = new byte[random.Next(0, 200)];
                    random.NextBytes(input);
                    if (input.Length > 1 && random.Next(2) == 0)
                    {
                        input[0] = 1;
                        input[1] = (byte)random.Next(1, 3);
                    }

                    break;
                case 1:
                    input = (byte[])seeds[random.Next(seeds.Length)].Clone();
                    input[random.Next(input.Length)] ^= (byte)(1 << random.Next(8));
                    break;
                case 2:
                    input = (byte[])seeds[random.Next(seeds.Length)].Clone();
                    input[random.Next(input.Length)] = (byte)random.Next(256);
                    break;
                default:
                    var seed = seeds[random.Next(seeds.Length)];
                    input = seed[..random.Next(seed.Length + 1)];
                    break;
            }

            var ok = RecordEncoding.TryDecode(input, _options, out var value, out var provider, out var error);
            counts[error] = counts.GetValueOrDefault(error) + 1;
            Assert.Equal(ok, error == RecordDecodeError.None);
            Assert.Equal(ok, (value is null) != (provider is null));
            if (value is not null)
            {
                Assert.Equal(input, RecordEncoding.Encode(value));
            }
            else if (provider is not null)
            {
                Assert.Equal(input, RecordEncoding.Encode(provider));
            }
        }

        Assert.True(counts.GetValueOrDefault(RecordDecodeError.None) > 100);
        Assert.True(counts.GetValueOrDefault(RecordDecodeError.Truncated) > 100);
        Assert.True(counts.Count >= 6, string.Join(", ", counts));
    }

    [Fact]
    public void Validate_GoodRecord_Accepted_AndMutatedSignatureRefused()
    {
        var validator = new RecordValidator(_options, _verifier);
        var record = Make(1);
        Assert.Equal(RecordRejection.None, validator.Validate(record, T0));

        var bytes = RecordEncoding.Encode(record);
        bytes[^1] ^= 1;
        Assert.True(RecordEncoding.TryDecode(bytes, _options, out var tampered, out _, out _));
        Assert.Equal(RecordRejection.BadSignature, validator.Validate(tampered!, T0));

        var otherValue = new DhtRecord(record.Key, "other"u8, record.PublisherPublicKey.Span, record.Sequence, record.Expires, record.Signature.Span);
        Assert.Equal(RecordRejection.BadSignature, validator.Validate(otherValue, T0));
    }

    [Fact]
    public void Validate_CheapChecksRunBeforeSignature()
    {
        var options = new DhtOptions { MaxValueBytes = 4 };
        var validator = new RecordValidator(options, _verifier);
        Assert.Equal(RecordRejection.ValueTooLarge, validator.Validate(Make(1, "12345"), T0));
        Assert.Equal(RecordRejection.Expired, validator.Validate(Make(1, "1", T0), T0));
        Assert.Equal(RecordRejection.ExpiryTooFar, validator.Validate(Make(1, "1", T0.AddDays(2)), T0));
        Assert.Equal(0, _verifier.Calls);
        Assert.Equal(RecordRejection.None, validator.Validate(Make(1, "1", T0.AddMilliseconds(1)), T0));
        Assert.Equal(1, _verifier.Calls);
    }

    [Fact]
    public void Validate_AgainstStored_RefusesOlderConflictingAndForeign()
    {
        var validator = new RecordValidator(_options, _verifier);
        var stored = Make(5);
        Assert.Equal(RecordRejection.OlderSequence, validator.Validate(Make(4), T0, stored));
        Assert.Equal(RecordRejection.ConflictingSequence, validator.Validate(Make(5, "different"), T0, stored));
        Assert.Equal(RecordRejection.None, validator.Validate(stored, T0, stored));
        Assert.Equal(RecordRejection.PublisherMismatch, validator.Validate(Make(9, by: _other), T0, stored));
        Assert.Equal(RecordRejection.None, validator.Validate(Make(6), T0, stored));
    }

    [Fact]
    public void Validate_SecondRecordOfOnePublisher_UsesItsKeptKeyAndRefusesAForgeryAllTheSame()
    {
        var verifier = new Overlay.Dht.Wire.IdentityRecordVerifier();
        var validator = new RecordValidator(_options, verifier);
        var publisher = _holders[2];
        DhtRecord Signed(ulong sequence, byte key) =>
            DhtRecord.Create(TinyIds.Of(key), "v"u8, publisher.PublicKey.Encoded, sequence, T0.AddHours(1), m => publisher.Sign(m));

        Assert.Equal(RecordRejection.None, validator.Validate(Signed(1, 1), T0));
        Assert.Equal(RecordRejection.None, validator.Validate(Signed(1, 2), T0));
        Assert.Equal((1L, 1L), (verifier.Keys.Hits, verifier.Keys.Misses));

        // The other publisher's signature under the kept key: refused, as without the kept key.
        var forged = DhtRecord.Create(TinyIds.Of(3), "v"u8, publisher.PublicKey.Encoded, 1, T0.AddHours(1), m => _holders[3].Sign(m));
        Assert.Equal(RecordRejection.BadSignature, validator.Validate(forged, T0));
        Assert.Equal(2L, verifier.Keys.Hits);
    }

    [Fact]
    public void ValidateProvider_OnlyFromTheProviderItself()
    {
        var validator = new RecordValidator(_options, new Overlay.Dht.Wire.IdentityRecordVerifier());
        var provider = _holders[2].PeerId;
        var record = SignedProviders.Sign(_holders[2], TinyIds.Of(1), T0.AddHours(1));
        Assert.Equal(RecordRejection.None, validator.ValidateProvider(record, provider, T0));
        Assert.Equal(RecordRejection.ProviderNotSender, validator.ValidateProvider(record, _holders[3].PeerId, T0));
        Assert.Equal(RecordRejection.Expired, validator.ValidateProvider(record, provider, T0.AddHours(1)));
    }

    [Fact]
    public void Store_PutGet_HigherSequenceReplaces_ExpiredIsGone()
    {
        var store = new RecordStore(_options, new RecordValidator(_options, _verifier));
        Assert.Equal(RecordRejection.None, store.Put(Make(1, "a"), T0));
        Assert.Equal(RecordRejection.OlderSequence, store.Put(Make(0, "z"), T0));
        Assert.Equal(RecordRejection.None, store.Put(Make(2, "b"), T0));
        Assert.Equal("b"u8.ToArray(), store.Get(TinyIds.Of(0x42), T0)!.Value.ToArray());

        var expiry = T0.AddHours(12);
        Assert.NotNull(store.Get(TinyIds.Of(0x42), expiry.AddTicks(-TimeSpan.TicksPerMillisecond)));
        Assert.Null(store.Get(TinyIds.Of(0x42), expiry));
        Assert.Equal(1, store.Count);
        Assert.Equal(1, store.RemoveExpired(expiry));
        Assert.Equal(0, store.Count);
    }

    [Fact]
    public void Store_AfterExpiry_AnotherPublisherMayTakeTheKey()
    {
        var store = new RecordStore(_options, new RecordValidator(_options, _verifier));
        store.Put(Make(9, expires: T0.AddHours(1)), T0);
        Assert.Equal(RecordRejection.PublisherMismatch, store.Put(Make(1, by: _other, expires: T0.AddHours(5)), T0));
        Assert.Equal(RecordRejection.None, store.Put(Make(1, by: _other, expires: T0.AddHours(5)), T0.AddHours(1)));
    }

    [Fact]
    public void Store_Full_RefusesNewKeysOnly()
    {
        var options = new DhtOptions { MaxRecords = 1 };
        var store = new RecordStore(options, new RecordValidator(options, _verifier));
        Assert.Equal(RecordRejection.None, store.Put(Make(1), T0));
        Assert.Equal(RecordRejection.StoreFull, store.Put(Make(1, key: TinyIds.Of(1)), T0));
        Assert.Equal(RecordRejection.None, store.Put(Make(2), T0));
    }

    [Fact]
    public void Store_RepublishSchedule_DueExactlyAtInterval_AndRestorePostpones()
    {
        var options = new DhtOptions { RepublishInterval = TimeSpan.FromHours(1) };
        var store = new RecordStore(options, new RecordValidator(options, _verifier));
        store.Put(Make(1, key: TinyIds.Of(1), expires: T0.AddHours(20)), T0, publishedLocally: true);
        var replica = Make(1, key: TinyIds.Of(2), expires: T0.AddHours(20));
        Assert.Equal(RecordRejection.None, store.Put(replica, T0.AddMinutes(10)));
        var due = new List<RepublishDecision>();

        store.CollectRepublishDue(T0.AddHours(1).AddTicks(-1), due);
        Assert.Empty(due);
        Assert.Equal(T0.AddHours(1), store.NextDeadline());

        store.CollectRepublishDue(T0.AddHours(1), due);
        var only = Assert.Single(due);
        Assert.True(only.PublishedLocally);
        Assert.False(only.NeedsResign);
        store.MarkRepublished(only.Record.Key, T0.AddHours(1));

        // Someone else re-stored record 2 meanwhile: its replication is postponed (Kademlia §2.5).
        Assert.Equal(RecordRejection.None, store.Put(replica, T0.AddMinutes(50)));
        due.Clear();
        store.CollectRepublishDue(T0.AddMinutes(70), due);
        Assert.Empty(due);
        store.CollectRepublishDue(T0.AddMinutes(110), due);
        Assert.Equal(TinyIds.Of(2), Assert.Single(due).Record.Key);

        due.Clear();
        store.CollectRepublishDue(T0.AddHours(18.5), due);
        Assert.Contains(due, d => d.Record.Key == TinyIds.Of(1) && d.NeedsResign);
        Assert.Contains(due, d => d.Record.Key == TinyIds.Of(2) && !d.NeedsResign);
    }

    [Fact]
    public void Store_Providers_RefreshLimitAndExpire()
    {
        var options = new DhtOptions { MaxProvidersPerKey = 2 };
        var store = new RecordStore(options, new RecordValidator(options, new Overlay.Dht.Wire.IdentityRecordVerifier()));
        var key = TinyIds.Of(9);
        ProviderRecord P(int who, double hours) => SignedProviders.Sign(_holders[who], key, T0.AddHours(hours));
        PeerId Id(int who) => _holders[who].PeerId;

        Assert.Equal(RecordRejection.None, store.AddProvider(P(1, 1), Id(1), T0));
        Assert.Equal(RecordRejection.None, store.AddProvider(P(2, 2), Id(2), T0));
        Assert.Equal(RecordRejection.ProviderNotSender, store.AddProvider(P(3, 3), Id(4), T0));
        Assert.Equal(RecordRejection.StoreFull, store.AddProvider(P(3, 0.5), Id(3), T0));
        Assert.Equal(RecordRejection.None, store.AddProvider(P(3, 3), Id(3), T0)); // replaces provider 1
        Assert.Equal(RecordRejection.None, store.AddProvider(P(2, 4), Id(2), T0)); // refresh, no growth

        var found = new ProviderRecord[4];
        var n = store.GetProviders(key, T0, found);
        Assert.Equal(new[] { Id(2), Id(3) }.Order(), found[..n].Select(p => p.Provider).Order());
        Assert.Equal(1, store.GetProviders(key, T0.AddHours(3.5), found));
        Assert.Equal(2, store.RemoveExpired(T0.AddHours(4)));
        Assert.Equal(0, store.ProviderKeyCount);
    }

    [Fact]
    public void Store_Announcements_DueExactlyAtInterval_ReplacedByRenewal_LimitedAndExpired()
    {
        var options = new DhtOptions { MaxRecords = 2, RepublishInterval = TimeSpan.FromHours(1), RecordTtl = TimeSpan.FromHours(24) };
        var store = new RecordStore(options, new RecordValidator(options, _verifier));
        var self = TinyIds.Of(1);
        ProviderRecord Own(byte key, DateTimeOffset announced) => new(TinyIds.Of(key), self, (announced + options.RecordTtl).ToUnixTimeMilliseconds());
        var due = new List<ProviderRecord>();

        Assert.Equal(RecordRejection.None, store.AddAnnounced(Own(10, T0), T0, T0));
        Assert.Equal(RecordRejection.None, store.AddAnnounced(Own(11, T0.AddMinutes(30)), T0.AddMinutes(30), T0.AddMinutes(30)));
        Assert.Equal(RecordRejection.StoreFull, store.AddAnnounced(Own(12, T0.AddMinutes(30)), T0.AddMinutes(30), T0.AddMinutes(30)));
        Assert.Equal(RecordRejection.Expired, store.AddAnnounced(Own(12, T0.AddDays(-2)), T0.AddDays(-2), T0));

        store.CollectAnnouncementsDue(T0.AddHours(1).AddTicks(-1), due);
        Assert.Empty(due);
        store.CollectAnnouncementsDue(T0.AddHours(1), due);
        Assert.Equal(TinyIds.Of(10), Assert.Single(due).Key);

        // The renewal replaces the announcement, so it is not due again until an interval later.
        var renewedAt = T0.AddHours(1);
        Assert.Equal(RecordRejection.None, store.AddAnnounced(Own(10, renewedAt), renewedAt, renewedAt));
        due.Clear();
        store.CollectAnnouncementsDue(T0.AddHours(1.5), due);
        Assert.Equal(TinyIds.Of(11), Assert.Single(due).Key);
        Assert.Equal(2, store.AnnouncedCount);

        // Announcements are this node's own: they are not served as held providers, but they are saved.
        Assert.Equal(0, store.GetProviders(TinyIds.Of(10), T0, new ProviderRecord[4]));
        var saved = new List<Overlay.Dht.Persistence.SavedProvider>();
        store.CopyProviders(T0.AddHours(2), saved);
        Assert.Equal(2, saved.Count);
        Assert.All(saved, p => Assert.True(p.AnnouncedLocally));

        Assert.Equal(1, store.RemoveExpired(T0.AddMinutes(30) + options.RecordTtl));
        Assert.Equal(1, store.AnnouncedCount);
    }
}
