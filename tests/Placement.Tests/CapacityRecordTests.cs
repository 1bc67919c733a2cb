using System.Buffers.Binary;
using System.Diagnostics.Metrics;
using Overlay.Crypto;
using Overlay.Placement.Capacity;
using Overlay.Placement.Selection;
using Overlay.Placement.Trust;

namespace Overlay.Placement.Tests;

/// <summary>Signed capacity records: the encoding, every refusal, random and mutated bytes, and what placement makes of claims and observations.</summary>
public sealed class CapacityRecordTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly NodeIdentity _issuer = NodeIdentity.FromSeed(Seed(11));
    private readonly NodeIdentity _other = NodeIdentity.FromSeed(Seed(12));
    private readonly Meter _meter = new("test.placement.capacity-records");

    public void Dispose() => _meter.Dispose();

    [Fact]
    public void Encode_SignedRecord_DecodesToTheSameValuesAndIsAcceptedOnce()
    {
        var record = CapacityRecord.Sign(_issuer, Now, 5L << 30, 10L << 30);
        var bytes = CapacityRecordCodec.Encode(record);
        Assert.Equal(CapacityRecordCodec.BodySize + 2 + IdentitySignature.HybridSize, bytes.Length);
        Assert.Equal(CapacityRecordCodec.MaxEncodedLength, bytes.Length);
        Assert.Equal(CapacityRecordRejection.None, CapacityRecordCodec.TryDecode(bytes, out var decoded));
        Assert.Equal((record.Issuer, record.IssuedUnixMs, record.FreeBytes, record.TotalBytes), (decoded!.Issuer, decoded.IssuedUnixMs, decoded.FreeBytes, decoded.TotalBytes));

        var (book, metrics) = Book();
        Assert.Equal(CapacityRecordRejection.None, book.TryAccept(_issuer.PeerId, _issuer.PublicKey.Encoded, bytes, Now));
        Assert.Equal(CapacityRecordRejection.Replayed, book.TryAccept(_issuer.PeerId, [], bytes, Now));
        Assert.Equal(1, metrics.AcceptedTotal);
        Assert.Equal(1, metrics.RejectedTotal(CapacityRecordRejection.Replayed));
        Assert.Equal(5L << 30, book.FreeBytesFor(_issuer.PeerId, Now, unknown: 1));
    }

    [Fact]
    public void TryAccept_KeepsTheCheckedFieldsAndTheKey_NotTheSignature()
    {
        var record = CapacityRecord.Sign(_issuer, Now, 5L << 30, 10L << 30);
        var (book, _) = Book();
        Assert.Equal(CapacityRecordRejection.None, book.TryAccept(_issuer.PeerId, _issuer.PublicKey.Encoded, CapacityRecordCodec.Encode(record), Now));

        var held = book.Find(_issuer.PeerId)!;
        Assert.Equal((record.Issuer, record.IssuedUnixMs, record.FreeBytes, record.TotalBytes), (held.Issuer, held.IssuedUnixMs, held.FreeBytes, held.TotalBytes));
        Assert.True(held.Signature.IsEmpty);

        // The next record is still checked, with the key the book kept.
        Assert.True(book.HasKey(_issuer.PeerId));
        var later = CapacityRecord.Sign(_issuer, Now.AddMinutes(10), 4L << 30, 10L << 30);
        Assert.Equal(CapacityRecordRejection.None, book.TryAccept(_issuer.PeerId, [], CapacityRecordCodec.Encode(later), Now.AddMinutes(10)));
        var raised = CapacityRecordCodec.Encode(CapacityRecord.Sign(_issuer, Now.AddMinutes(20), 1L << 30, 10L << 30));
        BinaryPrimitives.WriteInt64BigEndian(raised.AsSpan(1 + PeerId.Size + 8), 9L << 30);
        Assert.Equal(CapacityRecordRejection.BadSignature, book.TryAccept(_issuer.PeerId, [], raised, Now.AddMinutes(20)));
        Assert.Equal(4L << 30, book.FreeBytesFor(_issuer.PeerId, Now.AddMinutes(20), unknown: 1));
    }

    public static TheoryData<string, CapacityRecordRejection> BadRecords => new()
    {
        { "too large", CapacityRecordRejection.TooLarge },
        { "empty", CapacityRecordRejection.Truncated },
        { "signature cut short", CapacityRecordRejection.Truncated },
        { "one byte past the largest", CapacityRecordRejection.TooLarge },
        { "signature length declared one short", CapacityRecordRejection.TrailingBytes },
        { "version 2", CapacityRecordRejection.UnsupportedVersion },
        { "negative time", CapacityRecordRejection.BadTimestamp },
        { "free above total", CapacityRecordRejection.BadValue },
        { "negative free", CapacityRecordRejection.BadValue },
        { "total beyond the limit", CapacityRecordRejection.BadValue },
        { "unknown signature scheme", CapacityRecordRejection.SignatureLength },
        { "someone else's record", CapacityRecordRejection.WrongIssuer },
        { "no key", CapacityRecordRejection.UnknownIssuer },
        { "another key", CapacityRecordRejection.KeyMismatch },
        { "stale", CapacityRecordRejection.Expired },
        { "from the future", CapacityRecordRejection.FromTheFuture },
        { "older than the one held", CapacityRecordRejection.Replayed },
        { "free raised after signing", CapacityRecordRejection.BadSignature },
        { "signed by another key", CapacityRecordRejection.BadSignature },
    };

    [Theory]
    [MemberData(nameof(BadRecords))]
    public void TryAccept_BadRecord_IsRefusedForItsReasonCountedAndNotWeighed(string kind, CapacityRecordRejection expected)
    {
        var (book, metrics) = Book();
        var key = _issuer.PublicKey.Encoded.ToArray();
        var answering = _issuer.PeerId;
        var bytes = CapacityRecordCodec.Encode(CapacityRecord.Sign(_issuer, Now, 1L << 30, 2L << 30));
        var at = 1 + PeerId.Size;
        switch (kind)
        {
            case "too large": bytes = new byte[CapacityRecordCodec.MaxEncodedLength + 1]; break;
            case "empty": bytes = []; break;
            case "signature cut short": bytes = bytes[..^1]; break;
            case "one byte past the largest": bytes = [.. bytes, 0]; break;
            case "signature length declared one short": BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(CapacityRecordCodec.BodySize), IdentitySignature.HybridSize - 1); break;
            case "version 2": bytes[0] = 2; break;
            case "negative time": BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(at), -1); break;
            case "free above total": BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(at + 8), 3L << 30); break;
            case "negative free": BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(at + 8), -5); break;
            case "total beyond the limit": BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(at + 16), long.MaxValue); break;
            case "unknown signature scheme": bytes[CapacityRecordCodec.BodySize + 2] = 0xEE; break;
            case "someone else's record": answering = _other.PeerId; key = _other.PublicKey.Encoded.ToArray(); break;
            case "no key": key = []; break;
            case "another key": key = _other.PublicKey.Encoded.ToArray(); break;
            case "stale": bytes = CapacityRecordCodec.Encode(CapacityRecord.Sign(_issuer, Now - TimeSpan.FromHours(1), 1, 2)); break;
            case "from the future": bytes = CapacityRecordCodec.Encode(CapacityRecord.Sign(_issuer, Now + TimeSpan.FromMinutes(6), 1, 2)); break;
            case "older than the one held":
                Assert.Equal(CapacityRecordRejection.None, book.TryAccept(answering, key, CapacityRecordCodec.Encode(CapacityRecord.Sign(_issuer, Now, 7, 8)), Now));
                bytes = CapacityRecordCodec.Encode(CapacityRecord.Sign(_issuer, Now - TimeSpan.FromMinutes(1), 1L << 30, 2L << 30));
                break;
            case "free raised after signing": BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(at + 8), 2L << 30); break;
            case "signed by another key": bytes = Forge(_issuer.PeerId, _other, Now, 1L << 40, 1L << 40); break;
        }

        Assert.Equal(expected, book.TryAccept(answering, key, bytes, Now));
        Assert.Equal(1, metrics.RejectedTotal(expected));
        var weighed = book.FreeBytesFor(_issuer.PeerId, Now, unknown: 42);
        Assert.Equal(kind == "older than the one held" ? 7 : 42, weighed);
    }

    [Fact]
    public void TryAccept_ForgedClaimInAPeersName_IsWeighedWithoutTheSignatureCheck_AndRefusedWithIt()
    {
        // Another key's signature over a 1 TiB claim in the issuer's name, carried with the issuer's real key.
        var forged = Forge(_issuer.PeerId, _other, Now, 1L << 40, 1L << 40);
        var metrics = new CapacityMetrics(_meter);
        var unchecked_ = new CapacityBook(new PlacementOptions(), metrics, new IdentityKeyring(), checkSignatures: false);
        var checked_ = new CapacityBook(new PlacementOptions(), metrics, new IdentityKeyring(), checkSignatures: true);

        Assert.Equal(CapacityRecordRejection.None, unchecked_.TryAccept(_issuer.PeerId, _issuer.PublicKey.Encoded, forged, Now));
        Assert.Equal(1L << 40, unchecked_.FreeBytesFor(_issuer.PeerId, Now, unknown: 1L << 30));
        Assert.Equal(CapacityRecordRejection.BadSignature, checked_.TryAccept(_issuer.PeerId, _issuer.PublicKey.Encoded, forged, Now));
        Assert.Equal(1L << 30, checked_.FreeBytesFor(_issuer.PeerId, Now, unknown: 1L << 30));
        Assert.Equal(1, metrics.RejectedTotal(CapacityRecordRejection.BadSignature));
    }

    [Fact]
    public void TryAccept_TwentyThousandSeededRandomByteStrings_RefusesEveryOneWithoutThrowing()
    {
        var (book, metrics) = Book();
        var random = new Random(1701);
        for (var i = 0; i < 20_000; i++)
        {
            var bytes = new byte[random.Next(0, CapacityRecordCodec.MaxEncodedLength + 64)];
            random.NextBytes(bytes);
            if (i % 4 == 0 && bytes.Length > 0)
            {
                bytes[0] = CapacityRecordCodec.Version;
            }

            Assert.NotEqual(CapacityRecordRejection.None, book.TryAccept(_issuer.PeerId, _issuer.PublicKey.Encoded, bytes, Now));
        }

        Assert.Equal(20_000, metrics.RejectedAll);
        Assert.Equal(0, book.Count);
    }

    [Fact]
    public void TryAccept_EveryBodyByteAndSampledSignatureByteFlipped_IsRefused()
    {
        var valid = CapacityRecordCodec.Encode(CapacityRecord.Sign(_issuer, Now, 1L << 30, 2L << 30));
        var random = new Random(1702);
        var positions = Enumerable.Range(0, CapacityRecordCodec.BodySize + 2)
            .Concat(Enumerable.Range(0, 64).Select(_ => random.Next(CapacityRecordCodec.BodySize + 2, valid.Length)));
        foreach (var position in positions)
        {
            var (book, _) = Book();
            var bytes = valid.ToArray();
            bytes[position] ^= (byte)(1 << random.Next(8));
            Assert.NotEqual(CapacityRecordRejection.None, book.TryAccept(_issuer.PeerId, _issuer.PublicKey.Encoded, bytes, Now));
            Assert.Equal(7, book.FreeBytesFor(_issuer.PeerId, Now, unknown: 7));
        }
    }

    [Fact]
    public void FreeBytesFor_StoresComeOffTheClaim_ARefusalVoidsIt_UntilANewerRecord()
    {
        var (book, _) = Book();
        Accept(book, _issuer, Now, 100L << 20);
        book.Stored(_issuer.PeerId, 30L << 20, Now + TimeSpan.FromMinutes(1));
        Assert.Equal(70L << 20, book.FreeBytesFor(_issuer.PeerId, Now + TimeSpan.FromMinutes(1), unknown: 1));
        book.Refused(_issuer.PeerId, Now + TimeSpan.FromMinutes(2));
        Assert.Equal(0, book.FreeBytesFor(_issuer.PeerId, Now + TimeSpan.FromMinutes(2), unknown: 1));

        Accept(book, _issuer, Now + TimeSpan.FromMinutes(3), 50L << 20);
        Assert.Equal(50L << 20, book.FreeBytesFor(_issuer.PeerId, Now + TimeSpan.FromMinutes(3), unknown: 1));
        // Twice the record interval later the claim is stale: unknown again.
        Assert.Equal(1, book.FreeBytesFor(_issuer.PeerId, Now + TimeSpan.FromMinutes(64), unknown: 1));
    }

    [Fact]
    public void Prune_RecordsPastTwiceTheInterval_AreForgottenWithTheirKeys_WhatPlacementWeighsIsUnchanged()
    {
        var (book, _) = Book();
        var refusedAfter = NodeIdentity.FromSeed(Seed(13));
        var fresh = NodeIdentity.FromSeed(Seed(14));
        Accept(book, _issuer, Now, 100L << 20);
        Accept(book, _other, Now, 100L << 20);
        book.Refused(_other.PeerId, Now - TimeSpan.FromMinutes(1)); // before its record: voided by it
        Accept(book, refusedAfter, Now, 100L << 20);
        book.Refused(refusedAfter.PeerId, Now + TimeSpan.FromMinutes(1));
        Accept(book, fresh, Now + TimeSpan.FromMinutes(45), 100L << 20);
        var peers = new[] { _issuer.PeerId, _other.PeerId, refusedAfter.PeerId, fresh.PeerId };

        // One tick before twice the interval every record is still weighed and kept.
        var edge = Now + (2 * new PlacementOptions().CapacityRecordInterval);
        Assert.Equal(0, book.Prune(edge - TimeSpan.FromTicks(1)));
        Assert.All(peers, p => Assert.True(book.HasKey(p)));

        var weighed = peers.Select(p => book.FreeBytesFor(p, edge, unknown: 1)).ToArray();
        Assert.Equal(3, book.Prune(edge));
        Assert.Equal(weighed, peers.Select(p => book.FreeBytesFor(p, edge, unknown: 1)));
        Assert.Equal([1, 1, 0, 100L << 20], weighed);
        Assert.Equal([false, false, false, true], peers.Select(book.HasKey));
        Assert.Equal(1, book.Count);
        Assert.True(book.Wants(_issuer.PeerId, edge));

        // A forgotten peer is checked again with the key it sends again.
        Accept(book, _issuer, edge, 60L << 20);
        Assert.Equal(60L << 20, book.FreeBytesFor(_issuer.PeerId, edge, unknown: 1));
        Assert.Equal(0, book.Prune(edge));
    }

    [Fact]
    public void Select_FullPeerClaimingNothingFree_GetsNoNewShard_WhileItsTwinWithRoomDoes()
    {
        var (book, _) = Book();
        var full = NodeIdentity.FromSeed(Seed(21));
        var roomy = NodeIdentity.FromSeed(Seed(22));
        Accept(book, full, Now, 0);
        Accept(book, roomy, Now, 1L << 30);
        var picks = Picks(book, [full.PeerId, roomy.PeerId], objects: 2_000);
        Assert.Equal(0, picks[0]);
        Assert.True(picks[1] > 100, $"the peer with room drew {picks[1]} of 2,000 first picks");
    }

    [Fact]
    public void Select_OverClaimerThatRefusesStores_LosesItsWeight_OnlyWhenTheRefusalIsObserved()
    {
        var liar = NodeIdentity.FromSeed(Seed(31));
        var peers = new[] { liar.PeerId, TestPeers.Id(1), TestPeers.Id(2), TestPeers.Id(3) };
        var (observed, _) = Book();
        var (ignored, _) = Book();
        foreach (var book in new[] { observed, ignored })
        {
            Accept(book, liar, Now, 4L << 40);
        }

        observed.Refused(liar.PeerId, Now + TimeSpan.FromSeconds(1));
        var withRefusal = Picks(observed, peers, objects: 2_000);
        var withoutRefusal = Picks(ignored, peers, objects: 2_000);
        // 4 TiB claimed against the reference GiB of the others: without the observation it draws more than its quarter.
        Assert.True(withoutRefusal[0] > 600, $"the claim drew {withoutRefusal[0]} of 2,000");
        Assert.Equal(0, withRefusal[0]);
    }

    // First picks among peers weighed only by what the book says of their room (the others have no record: the reference).
    private int[] Picks(CapacityBook book, PeerId[] peers, int objects)
    {
        var options = new PlacementOptions();
        using var placer = new ShardPlacer(options, new Random(9), new PlacementMetrics(_meter));
        var candidates = new PlacementCandidate[peers.Length];
        for (var i = 0; i < peers.Length; i++)
        {
            candidates[i] = new PlacementCandidate(peers[i], (ulong)(i + 1), 0, 100.0 * i, 0, 50, 1, 1,
                book.FreeBytesFor(peers[i], Now + TimeSpan.FromSeconds(2), options.CapacityReferenceBytes));
        }

        var set = WeightedCandidates.Prepare(candidates, TrustSnapshot.Empty, options);
        var chosen = new int[1];
        var picks = new int[peers.Length];
        for (var o = 0; o < objects; o++)
        {
            if (placer.Select(Candidates.ObjectId(o), 1, set, TestPeers.Id(1_000), chosen).Placed == 1)
            {
                picks[Array.IndexOf(peers, set.PeerAt(chosen[0]))]++;
            }
        }

        return picks;
    }

    private (CapacityBook Book, CapacityMetrics Metrics) Book()
    {
        var metrics = new CapacityMetrics(_meter);
        return (new CapacityBook(new PlacementOptions(), metrics), metrics);
    }

    private static void Accept(CapacityBook book, NodeIdentity issuer, DateTimeOffset at, long free) =>
        Assert.Equal(CapacityRecordRejection.None, book.TryAccept(issuer.PeerId, issuer.PublicKey.Encoded, CapacityRecordCodec.Encode(CapacityRecord.Sign(issuer, at, free, Math.Max(free, 1L << 40))), at));

    // A record in issuer's name with signer's signature over it: what a forger sends.
    internal static byte[] Forge(PeerId issuer, NodeIdentity signer, DateTimeOffset at, long free, long total)
    {
        var payload = new byte[CapacityRecordCodec.SigningPayloadLength];
        CapacityRecordCodec.WriteSigningPayload(issuer, at.ToUnixTimeMilliseconds(), free, total, payload);
        var signature = signer.Sign(payload);
        var body = payload.AsSpan(CapacityRecordCodec.SigningContext.Length);
        var bytes = new byte[body.Length + 2 + signature.Length];
        body.CopyTo(bytes);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(body.Length), (ushort)signature.Length);
        signature.CopyTo(bytes.AsSpan(body.Length + 2));
        return bytes;
    }

    private static byte[] Seed(byte value)
    {
        var seed = new byte[NodeIdentity.SeedSize];
        seed[0] = value;
        return seed;
    }
}
