using System.Diagnostics.Metrics;
using Overlay.Crypto;
using Overlay.Dht.Records;
using Overlay.Dht.Wire;
using Overlay.Transport;
using Overlay.Transport.InMemory;
using Overlay.Transport.Pooling;

namespace Overlay.Dht.Tests;

/// <summary>
/// Provider batches: the codec on seeded random and mutated input, the storing node's typed refusal for each bad
/// batch, the per-id answers with their Merkle paths, a fetcher that refuses a path that does not reach the signed
/// root (and, with that check off, takes a forged answer for a key the holder never named), and the grouping of
/// sorted keys by their k closest peers.
/// </summary>
public sealed class ProviderBatchTests : IDisposable
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

    [Fact]
    public void Encode_BatchAndBatchedRecord_DecodeToTheSameValues()
    {
        var batch = Batch(Keys(9, seed: 1), T0.AddHours(1));
        var bytes = ProviderBatchEncoding.Encode(batch);
        Assert.True(RecordEncoding.TryDecode(bytes, _options, out _, out _, out var decoded, out var error), error.ToString());
        Assert.Equal(batch.Provider, decoded!.Provider);
        Assert.Equal(batch.ExpiresUnixMs, decoded.ExpiresUnixMs);
        Assert.Equal(batch.Ids.ToArray(), decoded.Ids.ToArray());
        Assert.Equal(batch.Root.ToArray(), decoded.Root.ToArray());
        Assert.Equal(batch.Signature.ToArray(), decoded.Signature.ToArray());
        Assert.Equal(bytes, ProviderBatchEncoding.Encode(decoded));

        // A batch is not a record that stands alone: an answer or a saved row cannot carry one.
        Assert.False(RecordEncoding.TryDecode(bytes, _options, out _, out _, out error));
        Assert.Equal(RecordDecodeError.UnknownKind, error);

        var tree = Blake3MerkleTree.Build(batch.Ids.Span);
        for (var i = 0; i < batch.Count; i++)
        {
            var record = batch.RecordAt(i, tree);
            var encoded = RecordEncoding.Encode(record);
            Assert.True(RecordEncoding.TryDecode(encoded, _options, out _, out var back, out error), error.ToString());
            Assert.Equal(record, back);
        }
    }

    [Fact]
    public void TryDecode_SeededRandomBytesAndMutations_NeverThrow_AndNoMutatedBatchOrRecordIsAccepted()
    {
        var random = new Random(303);
        var batch = Batch(Keys(5, seed: 2), T0.AddHours(1));
        var batchBytes = ProviderBatchEncoding.Encode(batch);
        var recordBytes = RecordEncoding.Encode(batch.RecordAt(3, Blake3MerkleTree.Build(batch.Ids.Span)));
        var validator = new RecordValidator(_options, new IdentityRecordVerifier(), new CheckedProviderRecords(0));
        var errors = new Dictionary<RecordDecodeError, int>();
        for (var i = 0; i < 30_000; i++)
        {
            byte[] input;
            switch (i % 4)
            {
                case 0:
                    // Random bytes behind a valid version and kind byte, so the batch decoders are reached.
                    input = new byte[random.Next(0, 300)];
                    random.NextBytes(input);
                    if (input.Length >= 2)
                    {
                        input[0] = RecordEncoding.Version;
                        input[1] = (byte)(random.Next(2) == 0 ? RecordKind.ProviderBatch : RecordKind.BatchedProvider);
                    }

                    break;
                case 1:
                    input = (byte[])batchBytes.Clone();
                    input[random.Next(input.Length)] ^= (byte)(1 << random.Next(8));
                    break;
                case 2:
                    input = (byte[])recordBytes.Clone();
                    input[random.Next(input.Length)] = (byte)random.Next(256);
                    break;
                default:
                    var source = random.Next(2) == 0 ? batchBytes : recordBytes;
                    input = source[..random.Next(source.Length)];
                    break;
            }

            if (!RecordEncoding.TryDecode(input, _options, out var value, out var provider, out var decoded, out var error))
            {
                errors[error] = errors.GetValueOrDefault(error) + 1;
                continue;
            }

            Assert.Null(value);
            if (input.AsSpan().SequenceEqual(batchBytes) || input.AsSpan().SequenceEqual(recordBytes))
            {
                continue;
            }

            // Whatever decodes after a mutation is refused by the checks a storing node or a fetcher makes.
            if (decoded is not null)
            {
                Assert.NotEqual(RecordRejection.None, new RecordStore(_options, validator).AddProviderBatch(decoded, decoded.Provider, T0));
            }
            else if (provider is not null)
            {
                Assert.NotEqual(RecordRejection.None, validator.ValidateProviderAnswer(provider, T0));
            }
        }

        Assert.True(errors.GetValueOrDefault(RecordDecodeError.Truncated) > 0);
        Assert.True(errors.GetValueOrDefault(RecordDecodeError.BatchSize) > 0);
        Assert.True(errors.GetValueOrDefault(RecordDecodeError.BadPath) > 0);
    }

    public enum BadBatch
    {
        WrongRoot,
        BadSignature,
        Unsorted,
        Duplicate,
        Oversized,
        Expired,
        OtherSender,
        SignedByAnother,
    }

    [Theory]
    [InlineData(BadBatch.WrongRoot, RecordRejection.WrongRoot)]
    [InlineData(BadBatch.BadSignature, RecordRejection.BadSignature)]
    [InlineData(BadBatch.Unsorted, RecordRejection.UnsortedIds)]
    [InlineData(BadBatch.Duplicate, RecordRejection.UnsortedIds)]
    [InlineData(BadBatch.Oversized, RecordRejection.BatchTooLarge)]
    [InlineData(BadBatch.Expired, RecordRejection.Expired)]
    [InlineData(BadBatch.OtherSender, RecordRejection.ProviderNotSender)]
    [InlineData(BadBatch.SignedByAnother, RecordRejection.ProviderKeyMismatch)]
    public void AddProviderBatch_BadBatch_HasItsTypedRefusal_AndKeepsNothing(BadBatch bad, RecordRejection expected)
    {
        var options = DhtTestNetwork.DefaultOptions();
        options.MaxProviderBatchIds = 8;
        var store = new RecordStore(options, new RecordValidator(options, new IdentityRecordVerifier()));
        var keys = Keys(8, seed: 3);
        var good = Batch(keys, T0.AddHours(1));
        var sender = _holder.PeerId;
        var batch = bad switch
        {
            // The ids changed after signing, the root kept: the root is not theirs.
            BadBatch.WrongRoot => With(good, ids: Flip(good.Ids.ToArray(), 40)),
            BadBatch.BadSignature => With(good, signature: Flip(good.Signature.ToArray(), 7)),
            BadBatch.Unsorted => With(good, ids: Swap(good.Ids.ToArray(), 2, 5)),
            BadBatch.Duplicate => With(good, ids: Duplicate(good.Ids.ToArray(), 4)),
            BadBatch.Oversized => With(good, ids: [.. good.Ids.ToArray(), .. Enumerable.Repeat((byte)0xFF, 32)]),
            BadBatch.Expired => Batch(keys, T0),
            BadBatch.OtherSender => good,
            _ => ProviderBatch.Create(keys, _holder.PeerId, T0.AddHours(1).ToUnixTimeMilliseconds(), _attacker.PublicKey.Encoded, p => _attacker.Sign(p)),
        };
        if (bad == BadBatch.OtherSender)
        {
            sender = _attacker.PeerId;
        }

        Assert.Equal(expected, store.AddProviderBatch(batch, sender, T0));
        Assert.Equal(0, store.ProviderKeyCount);
        Assert.Equal(0, store.HeldFrom(_holder.PeerId));
        Assert.Equal(RecordRejection.None, store.AddProviderBatch(good, _holder.PeerId, T0));
        Assert.Equal(8, store.HeldFrom(_holder.PeerId));
    }

    [Fact]
    public void AddProviderBatch_OlderBatchReplayed_QuotaAndStoreFull_AreRefused()
    {
        var options = DhtTestNetwork.DefaultOptions();
        options.MaxProviderIdsPerProvider = 10;
        options.MaxRecords = 14;
        var store = new RecordStore(options, new RecordValidator(options, new IdentityRecordVerifier()));
        var keys = Keys(12, seed: 4);
        var older = Batch(keys[..6], T0.AddHours(1));
        var newer = Batch(keys[3..9], T0.AddHours(2));
        Assert.Equal(RecordRejection.None, store.AddProviderBatch(newer, _holder.PeerId, T0));
        // Ids 3..5 are held from the same provider until later: the older batch is a replay.
        Assert.Equal(RecordRejection.OlderAnnouncement, store.AddProviderBatch(older, _holder.PeerId, T0));
        Assert.Equal(RecordRejection.None, store.AddProviderBatch(newer, _holder.PeerId, T0));
        Assert.Equal(6, store.HeldFrom(_holder.PeerId));

        // Five more ids would take the provider to 11 of 10.
        Assert.Equal(RecordRejection.ProviderQuota, store.AddProviderBatch(Batch([.. keys[..3], .. keys[9..11]], T0.AddHours(2)), _holder.PeerId, T0));
        Assert.Equal(RecordRejection.None, store.AddProviderBatch(Batch(keys[9..12], T0.AddHours(2)), _holder.PeerId, T0));
        Assert.Equal(9, store.HeldFrom(_holder.PeerId));

        // Another provider's 6 new keys would take the store past 14 keys.
        var other = ProviderBatch.Create(Keys(6, seed: 5), _attacker.PeerId, T0.AddHours(1).ToUnixTimeMilliseconds(), _attacker.PublicKey.Encoded, p => _attacker.Sign(p));
        Assert.Equal(RecordRejection.StoreFull, store.AddProviderBatch(other, _attacker.PeerId, T0));

        // Expired records leave the count with the records.
        store.RemoveExpired(T0.AddHours(3));
        Assert.Equal(0, store.HeldFrom(_holder.PeerId));
        Assert.Equal(0, store.ProviderKeyCount);
    }

    [Fact]
    public void GetProviders_AfterABatch_AnswersEachIdWithAPathAFetcherAccepts()
    {
        var store = new RecordStore(_options, new RecordValidator(_options, new IdentityRecordVerifier()));
        var keys = Keys(37, seed: 6);
        Assert.Equal(RecordRejection.None, store.AddProviderBatch(Batch(keys, T0.AddHours(1)), _holder.PeerId, T0));
        var fetcher = new RecordValidator(_options, new IdentityRecordVerifier());
        var found = new ProviderRecord[4];
        foreach (var key in keys)
        {
            Assert.Equal(1, store.GetProviders(key, T0, found));
            Assert.Equal(key, found[0].Key);
            Assert.NotNull(found[0].Batch);
            Assert.Equal(RecordRejection.None, fetcher.ValidateProviderAnswer(found[0], T0));
        }

        // One signature for the whole batch: the fetcher verified it once and met the same signed bytes 36 times more.
        Assert.Equal(1, fetcher.CheckedProviders.Misses);
        Assert.Equal(36, fetcher.CheckedProviders.Hits);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void FindProviders_ForgedPathToAKeyNotInTheBatch_AcceptedOnlyWithoutThePathCheck(bool check)
    {
        // The attacker holds a genuine batch of the holder's (any storing node does) and answers a FIND_VALUE for a key
        // the holder never named with that batch's root, signature and the path of one of its ids.
        var genuine = Batch(Keys(16, seed: 7), T0.AddHours(1));
        var real = genuine.RecordAt(5, Blake3MerkleTree.Build(genuine.Ids.Span));
        var target = PeerId.Random(new Random(8));
        var forged = new ProviderRecord(target, real.Provider, real.ExpiresUnixMs, real.ProviderPublicKey, real.Signature) { Batch = real.Batch };

        using var meter = new Meter("Overlay.Dht.Tests.ProviderBatch." + Guid.NewGuid().ToString("N"));
        var metrics = new DhtMetrics(meter);
        var clock = new VirtualTimeProvider(T0);
        var net = new InMemoryNetwork(clock, seed: 9);
        var liarId = PeerId.Random(new Random(10));
        var liar = net.CreateNode(liarId, new ProtocolDispatcher(ProtocolIds.Dht, new ProviderRecordTests.ProvidersHandler([forged], _options)));
        IReadOnlyList<ProviderRecord>? found = null;
        Exception? refused = null;
        net.Run(async () =>
        {
            var liarAddress = (await liar.ListenAsync(liar.Host)).LocalAddress;
            var transport = net.CreateNode(PeerId.Random(new Random(11)), new ProtocolDispatcher());
            await using var pool = new ConnectionPool(transport, new TransportOptions(), clock);
            var validator = new RecordValidator(_options, new IdentityRecordVerifier()) { SkipBatchPathCheck = !check };
            var rpc = new TransportDhtRpc(pool, _options, clock, validator, metrics, () => null);
            try
            {
                found = await rpc.FindProvidersAsync(new DhtPeer(liarId, liarAddress.WithPeer(null).ToString(), default), target, CancellationToken.None);
            }
            catch (DhtProtocolException e)
            {
                refused = e;
            }
        });

        if (check)
        {
            Assert.Null(found);
            Assert.Equal(DhtResponseFault.InvalidRecord, Assert.IsType<DhtProtocolException>(refused).Fault);
            Assert.Equal(1, metrics.ProviderAnswersRefused(RecordRejection.PathMismatch));
        }
        else
        {
            // The signature is genuine and over the genuine root: only the path check ties the key to it.
            Assert.Null(refused);
            Assert.Contains(found!, p => p.Key == target && p.Provider == _holder.PeerId);
        }
    }

    [Fact]
    public void BatchEnd_SeededRandomPeersAndKeys_TakesExactlyTheFollowingKeysWithTheSameClosest()
    {
        var random = new Random(12);
        for (var round = 0; round < 50; round++)
        {
            var peers = Enumerable.Range(0, random.Next(25, 300)).Select(_ => PeerId.Random(random)).ToArray();
            var keys = Keys(random.Next(1, 400), seed: 100 + round);
            var start = random.Next(keys.Length);
            const int k = 20;
            var closest = Closest(keys[start], peers, k);
            var end = ProviderBatchGrouping.BatchEnd(keys, start, closest, peers, maxIds: 64);
            var expected = start + 1;
            while (expected < keys.Length && expected - start < 64 && Closest(keys[expected], peers, k).ToHashSet().SetEquals(closest))
            {
                expected++;
            }

            Assert.Equal(expected, end);
        }
    }

    private static PeerId[] Closest(PeerId key, PeerId[] peers, int k) => [.. peers.OrderBy(p => p.Xor(key)).Take(k)];

    private static PeerId[] Keys(int count, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => PeerId.Random(random)).Distinct().Order()];
    }

    private ProviderBatch Batch(PeerId[] sortedKeys, DateTimeOffset expires) =>
        ProviderBatch.Create(sortedKeys, _holder.PeerId, expires.ToUnixTimeMilliseconds(), _holder.PublicKey.Encoded, p => _holder.Sign(p));

    private static ProviderBatch With(ProviderBatch b, byte[]? ids = null, byte[]? signature = null) =>
        new(b.Provider, b.ExpiresUnixMs, ids ?? b.Ids, b.Root, b.ProviderPublicKey, signature ?? b.Signature);

    private static byte[] Flip(byte[] bytes, int at)
    {
        bytes[at] ^= 0x10;
        return bytes;
    }

    private static byte[] Swap(byte[] ids, int a, int b)
    {
        var first = ids.AsSpan(a * 32, 32).ToArray();
        ids.AsSpan(b * 32, 32).CopyTo(ids.AsSpan(a * 32));
        first.CopyTo(ids.AsSpan(b * 32));
        return ids;
    }

    private static byte[] Duplicate(byte[] ids, int at)
    {
        ids.AsSpan((at - 1) * 32, 32).CopyTo(ids.AsSpan(at * 32));
        return ids;
    }
}
