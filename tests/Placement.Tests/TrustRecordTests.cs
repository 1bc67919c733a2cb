using System.Buffers.Binary;
using System.Diagnostics.Metrics;
using Overlay.Crypto;
using Overlay.Placement.Trust;

namespace Overlay.Placement.Tests;

public sealed class TrustRecordTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly NodeIdentity _issuer = NodeIdentity.FromSeed(Seed(1));
    private readonly NodeIdentity _other = NodeIdentity.FromSeed(Seed(2));
    private readonly PeerId _self = TestPeers.Id(0);
    private readonly Meter _meter = new("test.placement.records");
    private readonly PlacementOptions _options = new();

    public void Dispose()
    {
        _issuer.Dispose();
        _other.Dispose();
        _meter.Dispose();
    }

    [Fact]
    public void Encode_TryDecode_RoundTripsAndVerifies()
    {
        var record = TrustRecord.Sign(_issuer, Now, Row(5));
        var bytes = TrustRecordCodec.Encode(record);
        Assert.Equal(TrustRecordRejection.None, TrustRecordCodec.TryDecode(bytes, 256, out var decoded));
        Assert.Equal(record.Issuer, decoded!.Issuer);
        Assert.Equal(record.IssuedUnixMs, decoded.IssuedUnixMs);
        Assert.Equal(record.Vector.Entries.ToArray(), decoded.Vector.Entries.ToArray());
        Assert.True(decoded.VerifySignature(_issuer.PublicKey));
        Assert.False(decoded.VerifySignature(_other.PublicKey));
        Assert.Equal(TrustRecordCodec.HeaderSize + (5 * TrustRecordCodec.EntrySize) + 2 + IdentitySignature.HybridSize, bytes.Length);
    }

    [Fact]
    public void MaxEncodedLength_AtDefaultEntries_IsTheDocumentedBudget()
    {
        Assert.Equal(12_635, TrustRecordCodec.MaxEncodedLength(new PlacementOptions().MaxRecordEntries));
        var full = TrustRecord.Sign(_issuer, Now, Row(256));
        Assert.Equal(12_635, TrustRecordCodec.EncodedLength(full));
    }

    public static TheoryData<string, TrustRecordRejection> Malformed => new()
    {
        { "empty", TrustRecordRejection.Truncated },
        { "header cut", TrustRecordRejection.Truncated },
        { "version 2", TrustRecordRejection.UnsupportedVersion },
        { "too many entries", TrustRecordRejection.TooManyEntries },
        { "entries cut", TrustRecordRejection.Truncated },
        { "signature cut", TrustRecordRejection.Truncated },
        { "trailing byte", TrustRecordRejection.TrailingBytes },
        { "signature length 0", TrustRecordRejection.SignatureLength },
        { "signature scheme 9", TrustRecordRejection.SignatureLength },
        { "negative time", TrustRecordRejection.BadTimestamp },
        { "unsorted", TrustRecordRejection.Unsorted },
        { "duplicate", TrustRecordRejection.Unsorted },
        { "NaN", TrustRecordRejection.BadValue },
        { "negative", TrustRecordRejection.BadValue },
        { "zero", TrustRecordRejection.BadValue },
        { "infinite", TrustRecordRejection.BadValue },
        { "above one", TrustRecordRejection.BadValue },
        { "sum 0.9", TrustRecordRejection.NotNormalised },
        { "names issuer", TrustRecordRejection.NamesIssuer },
        { "oversized", TrustRecordRejection.TooLarge },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void TryDecode_Malformed_TypedRejectionNeverThrows(string change, TrustRecordRejection expected)
    {
        var bytes = Mangle(change);
        Assert.Equal(expected, TrustRecordCodec.TryDecode(bytes, 256, out var record));
        Assert.Null(record);

        // The book refuses the same bytes for the same reason and counts it.
        var book = Book(_ => _issuer.PublicKey);
        Assert.Equal(expected, book.TryAccept(bytes, Now));
        Assert.Equal(1, book.Metrics.RecordsRejected(expected));
        Assert.Equal(0, book.Count);
    }

    public static TheoryData<string, TrustRecordRejection> Refused => new()
    {
        { "unknown issuer", TrustRecordRejection.UnknownIssuer },
        { "signed by another", TrustRecordRejection.BadSignature },
        { "value flipped after signing", TrustRecordRejection.BadSignature },
        { "issuer swapped", TrustRecordRejection.BadSignature },
        { "expired", TrustRecordRejection.Expired },
        { "from the future", TrustRecordRejection.FromTheFuture },
        { "own record", TrustRecordRejection.OwnRecord },
        { "older version replayed", TrustRecordRejection.Replayed },
        { "same version again", TrustRecordRejection.Replayed },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void TryAccept_Refused_TypedCountedAndNeverInTheMatrix(string change, TrustRecordRejection expected)
    {
        var self = change == "own record" ? _issuer.PeerId : _self;
        var book = Book(peer => change == "unknown issuer" ? null : peer == _issuer.PeerId ? _issuer.PublicKey : peer == _other.PeerId ? _other.PublicKey : null, self);
        var current = TrustRecord.Sign(_issuer, Now, Row(3, first: 40));
        byte[] bytes;
        switch (change)
        {
            case "signed by another":
                bytes = Forge(_issuer.PeerId, _other, Now, Row(3));
                break;
            case "value flipped after signing":
                bytes = TrustRecordCodec.Encode(TrustRecord.Sign(_issuer, Now, Row(2)));
                // Move weight from the first entry to the second: still normalised, no longer what was signed.
                var first = BinaryPrimitives.ReadSingleBigEndian(bytes.AsSpan(TrustRecordCodec.HeaderSize + 32));
                BinaryPrimitives.WriteSingleBigEndian(bytes.AsSpan(TrustRecordCodec.HeaderSize + 32), first - 0.25f);
                var second = BinaryPrimitives.ReadSingleBigEndian(bytes.AsSpan(TrustRecordCodec.HeaderSize + 36 + 32));
                BinaryPrimitives.WriteSingleBigEndian(bytes.AsSpan(TrustRecordCodec.HeaderSize + 36 + 32), second + 0.25f);
                break;
            case "issuer swapped":
                bytes = TrustRecordCodec.Encode(TrustRecord.Sign(_other, Now, Row(3)));
                _issuer.PeerId.WriteTo(bytes.AsSpan(1));
                break;
            case "expired":
                bytes = TrustRecordCodec.Encode(TrustRecord.Sign(_issuer, Now - _options.MaxRecordAge - TimeSpan.FromSeconds(1), Row(3)));
                break;
            case "from the future":
                bytes = TrustRecordCodec.Encode(TrustRecord.Sign(_issuer, Now + _options.MaxClockSkew + TimeSpan.FromSeconds(1), Row(3)));
                break;
            case "older version replayed":
                Assert.Equal(TrustRecordRejection.None, book.TryAccept(TrustRecordCodec.Encode(current), Now));
                bytes = TrustRecordCodec.Encode(TrustRecord.Sign(_issuer, Now.AddMinutes(-30), Row(3)));
                break;
            case "same version again":
                Assert.Equal(TrustRecordRejection.None, book.TryAccept(TrustRecordCodec.Encode(current), Now));
                bytes = TrustRecordCodec.Encode(TrustRecord.Sign(_issuer, Now, Row(3)));
                break;
            default:
                bytes = TrustRecordCodec.Encode(TrustRecord.Sign(_issuer, Now, Row(3)));
                break;
        }

        Assert.Equal(expected, book.TryAccept(bytes, Now));
        Assert.Equal(1, book.Metrics.RecordsRejected(expected));
        var held = book.Find(_issuer.PeerId);
        var matrix = new TrustMatrixBuilder().AddRecords(book.Snapshot()).Build();
        if (change.Contains("again", StringComparison.Ordinal) || change.Contains("replayed", StringComparison.Ordinal))
        {
            // The newer record stays; the replay's row never replaces it.
            Assert.Equal(current.IssuedUnixMs, held!.IssuedUnixMs);
            Assert.Equal(current.Vector.Entries.ToArray(), held.Vector.Entries.ToArray());
        }
        else
        {
            Assert.Null(held);
            Assert.Equal(0, matrix.EntryCount);
        }
    }

    [Fact]
    public void TryAccept_NewerVersion_ReplacesTheHeldRow()
    {
        var book = Book(_ => _issuer.PublicKey);
        Assert.Equal(TrustRecordRejection.None, book.TryAccept(TrustRecordCodec.Encode(TrustRecord.Sign(_issuer, Now.AddMinutes(-60), Row(3))), Now));
        var newer = TrustRecord.Sign(_issuer, Now, Row(4, first: 30));
        Assert.Equal(TrustRecordRejection.None, book.TryAccept(TrustRecordCodec.Encode(newer), Now));
        Assert.Equal(newer.Vector.Entries.ToArray(), book.Find(_issuer.PeerId)!.Vector.Entries.ToArray());
        Assert.Equal(2, book.Metrics.RecordsAccepted);
        Assert.Equal(1, book.Prune(Now + _options.MaxRecordAge + TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void ForgedRecord_SpeakingForAnHonestPeer_RaisesTheForgerOnlyWithoutTheSignatureCheck()
    {
        // An attacker writes a row "for" the honest pre-trusted peer, giving all its trust to the attacker.
        var attacker = _other.PeerId;
        var honest = TestPeers.Ids(5, first: 60);
        var forged = Forge(_issuer.PeerId, _other, Now, LocalTrustVector.FromScores(_issuer.PeerId, [new(attacker, 1.0)], 8));
        var honestRow = LocalTrustVector.FromScores(_issuer.PeerId, honest.Select(p => new KeyValuePair<PeerId, double>(p, 1.0)), 8);

        // Without the check (the forged row taken as it is), the attacker gets most of the trust.
        TrustRecordCodec.TryDecode(forged, 256, out var unchecked_);
        var open = new TrustMatrixBuilder().AddRow(unchecked_!.Issuer, unchecked_.Vector).AddPreTrusted(_issuer.PeerId).Build();
        var openTrust = EigenTrust.Compute(open, 0.1, 1e-9, 200, Now);
        Assert.True(openTrust.TrustOf(attacker) > 0.4);

        // With the book, the forgery is refused, and the issuer's own row decides.
        var book = Book(peer => peer == _issuer.PeerId ? _issuer.PublicKey : null);
        Assert.Equal(TrustRecordRejection.BadSignature, book.TryAccept(forged, Now));
        Assert.Equal(TrustRecordRejection.None, book.TryAccept(TrustRecordCodec.Encode(TrustRecord.Sign(_issuer, Now, honestRow)), Now));
        var matrix = new TrustMatrixBuilder().AddRecords(book.Snapshot()).AddPeer(attacker).AddPreTrusted(_issuer.PeerId).Build();
        Assert.Equal(0, EigenTrust.Compute(matrix, 0.1, 1e-9, 200, Now).TrustOf(attacker));
    }

    [Fact]
    public void TryDecode_SeededRandomBytes_NeverThrowsNeverAccepts()
    {
        var random = new Random(17);
        var book = Book(_ => _issuer.PublicKey);
        for (var i = 0; i < 20_000; i++)
        {
            var bytes = new byte[random.Next(0, 600)];
            random.NextBytes(bytes);
            if (i % 2 == 0 && bytes.Length > 0)
            {
                bytes[0] = TrustRecordCodec.Version; // get past the version check half the time
            }

            Assert.NotEqual(TrustRecordRejection.None, book.TryAccept(bytes, Now));
        }

        Assert.Equal(0, book.Count);
    }

    [Fact]
    public void TryAccept_EverySingleByteMutationOfAValidRecord_IsRefused()
    {
        var valid = TrustRecordCodec.Encode(TrustRecord.Sign(_issuer, Now, Row(2)));
        var random = new Random(5);
        var book = Book(_ => _issuer.PublicKey);
        var reasons = new HashSet<TrustRecordRejection>();
        // Every byte of header and entries, and a seeded sample of the signature's bytes (each costs a verification).
        var positions = Enumerable.Range(0, TrustRecordCodec.HeaderSize + (2 * TrustRecordCodec.EntrySize) + 3)
            .Concat(Enumerable.Range(0, 200).Select(_ => random.Next(valid.Length)));
        foreach (var at in positions)
        {
            var mutated = (byte[])valid.Clone();
            mutated[at] ^= (byte)(1 << random.Next(8));
            var reason = book.TryAccept(mutated, Now);
            Assert.NotEqual(TrustRecordRejection.None, reason);
            reasons.Add(reason);
        }

        Assert.Equal(0, book.Count);
        Assert.Contains(TrustRecordRejection.BadSignature, reasons);
        Assert.Equal(TrustRecordRejection.None, book.TryAccept(valid, Now));
    }

    private TrustRecordBook Book(Func<PeerId, IdentityPublicKey?> keyOf, PeerId? self = null) =>
        new(self ?? _self, _options, keyOf, new PlacementMetrics(_meter));

    private static LocalTrustVector Row(int entries, int first = 100)
    {
        var scores = new List<KeyValuePair<PeerId, double>>();
        for (var i = 0; i < entries; i++)
        {
            scores.Add(new(TestPeers.Id(first + i), i + 1));
        }

        return LocalTrustVector.FromScores(default, scores, 4096);
    }

    /// <summary>A record claiming <paramref name="issuer"/> but signed by <paramref name="signer"/>.</summary>
    private static byte[] Forge(PeerId issuer, NodeIdentity signer, DateTimeOffset at, LocalTrustVector row)
    {
        var payload = new byte[TrustRecordCodec.SigningPayloadLength(row.Count)];
        TrustRecordCodec.WriteSigningPayload(issuer, at.ToUnixTimeMilliseconds(), row, payload);
        var record = new TrustRecord(issuer, at.ToUnixTimeMilliseconds(), row, signer.Sign(payload));
        return TrustRecordCodec.Encode(record);
    }

    private byte[] Mangle(string change)
    {
        var valid = TrustRecordCodec.Encode(TrustRecord.Sign(_issuer, Now, Row(3)));
        var entry0 = TrustRecordCodec.HeaderSize;
        var entry1 = entry0 + TrustRecordCodec.EntrySize;
        var signatureAt = TrustRecordCodec.HeaderSize + (3 * TrustRecordCodec.EntrySize);
        var bytes = (byte[])valid.Clone();
        switch (change)
        {
            case "empty":
                return [];
            case "header cut":
                return bytes[..20];
            case "version 2":
                bytes[0] = 2;
                return bytes;
            case "too many entries":
                BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(TrustRecordCodec.HeaderSize - 2), 257);
                return bytes;
            case "entries cut":
                return bytes[..(entry1 + 5)];
            case "signature cut":
                return bytes[..^10];
            case "trailing byte":
                return [.. bytes, 0];
            case "signature length 0":
                BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(signatureAt), 0);
                return bytes[..(signatureAt + 2)];
            case "signature scheme 9":
                bytes[signatureAt + 2] = 9;
                return bytes;
            case "negative time":
                BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(1 + PeerId.Size), -1);
                return bytes;
            case "unsorted":
                SwapEntries(bytes, entry0, entry1);
                return bytes;
            case "duplicate":
                bytes.AsSpan(entry0, PeerId.Size).CopyTo(bytes.AsSpan(entry1));
                return bytes;
            case "NaN":
                BinaryPrimitives.WriteSingleBigEndian(bytes.AsSpan(entry0 + PeerId.Size), float.NaN);
                return bytes;
            case "negative":
                BinaryPrimitives.WriteSingleBigEndian(bytes.AsSpan(entry0 + PeerId.Size), -0.1f);
                return bytes;
            case "zero":
                BinaryPrimitives.WriteSingleBigEndian(bytes.AsSpan(entry0 + PeerId.Size), 0f);
                return bytes;
            case "infinite":
                BinaryPrimitives.WriteSingleBigEndian(bytes.AsSpan(entry0 + PeerId.Size), float.PositiveInfinity);
                return bytes;
            case "above one":
                BinaryPrimitives.WriteSingleBigEndian(bytes.AsSpan(entry0 + PeerId.Size), 1.5f);
                return bytes;
            case "sum 0.9":
                var value = BinaryPrimitives.ReadSingleBigEndian(bytes.AsSpan(entry0 + PeerId.Size));
                BinaryPrimitives.WriteSingleBigEndian(bytes.AsSpan(entry0 + PeerId.Size), value - 0.1f);
                return bytes;
            case "names issuer":
                // The issuer's id placed before every entry keeps the order, so the self-naming is what is found.
                _issuer.PeerId.WriteTo(bytes.AsSpan(entry0));
                return Sorted(bytes) ? bytes : Reissue();
            case "oversized":
                return new byte[TrustRecordCodec.MaxEncodedLength(256) + 1];
            default:
                throw new ArgumentException(change, nameof(change));
        }
    }

    // A row naming the issuer cannot be made with Sign, so it is written by hand with the issuer first.
    private byte[] Reissue()
    {
        var peers = new List<PeerId> { _issuer.PeerId, TestPeers.Id(100), TestPeers.Id(101) };
        peers.Sort();
        var entries = peers.Select(p => new TrustEntry(p, 1f / 3)).ToArray();
        var row = new LocalTrustVector(entries);
        var payload = new byte[TrustRecordCodec.SigningPayloadLength(row.Count)];
        TrustRecordCodec.WriteSigningPayload(_issuer.PeerId, Now.ToUnixTimeMilliseconds(), row, payload);
        return TrustRecordCodec.Encode(new TrustRecord(_issuer.PeerId, Now.ToUnixTimeMilliseconds(), row, _issuer.Sign(payload)));
    }

    private static bool Sorted(byte[] bytes)
    {
        var count = BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(TrustRecordCodec.HeaderSize - 2));
        for (var i = 1; i < count; i++)
        {
            var a = PeerId.FromBytes(bytes.AsSpan(TrustRecordCodec.HeaderSize + ((i - 1) * TrustRecordCodec.EntrySize), PeerId.Size));
            var b = PeerId.FromBytes(bytes.AsSpan(TrustRecordCodec.HeaderSize + (i * TrustRecordCodec.EntrySize), PeerId.Size));
            if (a >= b)
            {
                return false;
            }
        }

        return true;
    }

    private static void SwapEntries(byte[] bytes, int a, int b)
    {
        var first = bytes.AsSpan(a, TrustRecordCodec.EntrySize).ToArray();
        bytes.AsSpan(b, TrustRecordCodec.EntrySize).CopyTo(bytes.AsSpan(a));
        first.CopyTo(bytes.AsSpan(b));
    }

    private static byte[] Seed(byte value)
    {
        var seed = new byte[NodeIdentity.SeedSize];
        seed[0] = value;
        return seed;
    }
}
