using System.Buffers;
using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using Overlay.Crypto;
using Overlay.Dht.Records;
using Overlay.Dht.Routing;
using Overlay.Dht.Wire;
using Overlay.Transport.InMemory;

namespace Overlay.Dht.Tests;

/// <summary>
/// One provider batch per storing peer: the holder's plan (each key to its k closest, one batch per peer, split at the
/// size limit, the same result for the same inputs), the storing node's per-id verdicts (ids it is not among the k
/// closest of, over the per-provider quota, replayed), STORE_BATCH and STORED_BATCH on seeded random and mutated bytes.
/// </summary>
public sealed class ProviderBatchPerPeerTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly DhtOptions _options = DhtTestNetwork.DefaultOptions();
    private readonly NodeIdentity _holder = NodeIdentity.FromRandom(new Random(401));
    private readonly Meter _meter = new("Overlay.Dht.Tests.ProviderBatchPerPeer." + Guid.NewGuid().ToString("N"));
    private readonly CountingListener _counts;

    public ProviderBatchPerPeerTests() => _counts = new CountingListener(_meter);

    public void Dispose()
    {
        _counts.Dispose();
        _meter.Dispose();
        _holder.Dispose();
    }

    [Fact]
    public void IsAmongClosest_SeededRandomTables_AgreesWithCountingEveryContact()
    {
        var random = new Random(402);
        for (var round = 0; round < 40; round++)
        {
            var table = new RoutingTable(PeerId.Random(random), _options, T0);
            var members = new List<PeerId>();
            for (var i = random.Next(0, 400); i > 0; i--)
            {
                var id = PeerId.Random(random);
                table.Observe(id, default, T0);
                if (table.Find(id) is not null)
                {
                    members.Add(id);
                }
            }

            var k = random.Next(1, 30);
            for (var j = 0; j < 50; j++)
            {
                // Half the keys near this node, where it is likelier to be among the closest.
                var key = j % 2 == 0 ? PeerId.Random(random) : NearSelf(table.Self, random.Next(0, 12), random);
                var nearer = members.Count(m => m.Xor(key) < table.Self.Xor(key));
                Assert.Equal(nearer < k, table.IsAmongClosest(key, k));
                // The asking peer aside: one contact fewer counts when it is a nearer member.
                var asker = members.Count > 0 ? members[random.Next(members.Count)] : PeerId.Random(random);
                var besides = nearer - (members.Contains(asker) && asker.Xor(key) < table.Self.Xor(key) ? 1 : 0);
                Assert.Equal(besides < k, table.IsAmongClosest(key, k, asker));
            }
        }
    }

    [Fact]
    public void StoreBatch_IdsTheReceiverIsNotAmongTheClosestOf_AreRefusedOneByOne_CountedAndNotKept()
    {
        var clock = new VirtualTimeProvider(T0);
        var random = new Random(403);
        var self = PeerId.Random(random);
        var table = new RoutingTable(self, _options, T0);
        for (var i = 0; i < 300; i++)
        {
            table.Observe(PeerId.Random(random), default, T0);
        }

        var store = new RecordStore(_options, new RecordValidator(_options, new IdentityRecordVerifier()));
        var metrics = new DhtMetrics(_meter);
        var handler = new DhtRequestHandler(table, store, new PeerRateLimiter(_options), _options, clock, metrics, () => (default, 1.0));
        var keys = Enumerable.Range(0, 60).Select(i => i % 3 == 0 ? NearSelf(self, 8, random) : PeerId.Random(random)).Distinct().Order().ToArray();
        var batch = Batch(keys, T0.AddHours(1));

        var answer = Serve(handler, _holder.PeerId, StoreBatchRequest(batch));

        Assert.Equal(DhtMessageType.StoredBatch, answer.Type);
        Assert.Equal(RecordRejection.None, answer.Verdict);
        Assert.Equal(keys.Length, answer.IdVerdicts.Count);
        var found = new ProviderRecord[4];
        int kept = 0, refused = 0;
        for (var i = 0; i < keys.Length; i++)
        {
            var among = table.IsAmongClosest(keys[i], _options.K, _holder.PeerId);
            Assert.Equal(among ? RecordRejection.None : RecordRejection.NotClosest, answer.IdVerdicts[i]);
            Assert.Equal(among ? 1 : 0, store.GetProviders(keys[i], T0, found));
            kept += among ? 1 : 0;
            refused += among ? 0 : 1;
        }

        // Both kinds occur, so neither branch passes vacuously.
        Assert.True(kept > 0 && refused > 0, $"{kept} kept, {refused} refused");
        Assert.Equal(kept, store.HeldFrom(_holder.PeerId));
        Assert.Equal(refused, metrics.BatchIdsRefused(RecordRejection.NotClosest));
        Assert.Equal(refused, _counts.Get("overlay.dht.provider_batch_ids_refused", "not_closest"));
    }

    [Fact]
    public void AddProviderBatch_NoIdToKeep_RefusesEachWithoutCheckingTheSignature()
    {
        var store = new RecordStore(_options, new RecordValidator(_options, new IdentityRecordVerifier()));
        var keys = Keys(5, seed: 404);
        var good = Batch(keys, T0.AddHours(1));
        var forged = new ProviderBatch(good.Provider, good.ExpiresUnixMs, good.Ids, good.Root, good.ProviderPublicKey, new byte[good.Signature.Length]);

        var verdict = store.AddProviderBatch(forged, _holder.PeerId, T0, notClosest: [true, true, true, true, true]);

        Assert.Equal(RecordRejection.None, verdict.Batch);
        Assert.All(verdict.PerId, v => Assert.Equal(RecordRejection.NotClosest, v));
        Assert.Equal(0, store.ProviderKeyCount);
        // One id to keep, and the same forged signature refuses the whole batch.
        Assert.Equal(RecordRejection.BadSignature, store.AddProviderBatch(forged, _holder.PeerId, T0, notClosest: [true, false, true, true, true]).Batch);
        Assert.Equal(0, store.ProviderKeyCount);
    }

    [Fact]
    public void AddProviderBatch_ManyIdsFromOneProvider_KeepsOnlyUpToItsQuota()
    {
        var options = DhtTestNetwork.DefaultOptions();
        options.MaxProviderIdsPerProvider = 10;
        var store = new RecordStore(options, new RecordValidator(options, new IdentityRecordVerifier()));
        var keys = Keys(30, seed: 405);

        var verdict = store.AddProviderBatch(Batch(keys, T0.AddHours(1)), _holder.PeerId, T0);

        Assert.Equal(10, verdict.Accepted);
        Assert.Equal(Enumerable.Repeat(RecordRejection.None, 10).Concat(Enumerable.Repeat(RecordRejection.ProviderQuota, 20)), verdict.PerId);
        Assert.Equal(10, store.HeldFrom(_holder.PeerId));
        Assert.Equal(10, store.ProviderKeyCount);
        // A later batch of the same ids replaces the kept ones in place and still takes no more.
        verdict = store.AddProviderBatch(Batch(keys, T0.AddHours(2)), _holder.PeerId, T0);
        Assert.Equal(10, verdict.Accepted);
        Assert.Equal(10, store.HeldFrom(_holder.PeerId));
    }

    [Fact]
    public void Plan_SeededRandomPeersAndKeys_GivesEachPeerOneBatchOfExactlyTheKeysItIsAmongTheClosestOf()
    {
        var random = new Random(406);
        for (var round = 0; round < 30; round++)
        {
            var peers = Enumerable.Range(0, random.Next(5, 200)).Select(_ => new DhtPeer(PeerId.Random(random), "tcp://127.0.0.1:1", default)).ToArray();
            var keys = Keys(random.Next(1, 300), seed: 500 + round);
            var k = random.Next(1, 25);
            var plan = new ProviderBatchPlan(peers.Select(p => p.Id), k);
            var lookups = 0;
            foreach (var key in keys)
            {
                if (!plan.TryReuse(key))
                {
                    lookups++;
                    plan.AddLookup(key, Closest(key, peers, k));
                }
            }

            // Every peer is known, so a lookup's set is reused exactly when it is the key's own: one lookup per distinct set.
            Assert.Equal(keys.Select(key => string.Join(",", Closest(key, peers, k).Select(p => p.Id).Order())).Distinct().Count(), lookups);
            Assert.Equal(keys.Length, plan.Assigned);
            var batches = plan.Batches(maxIds: 4096);
            Assert.Equal(batches.Count, batches.Select(b => b.Peer.Id).Distinct().Count());
            foreach (var peer in peers)
            {
                var expected = keys.Where(key => Closest(key, peers, k).Contains(peer)).ToArray();
                var batch = batches.SingleOrDefault(b => b.Peer.Id == peer.Id).Keys ?? [];
                Assert.Equal(expected, batch);
            }
        }
    }

    [Fact]
    public void Plan_MoreKeysForAPeerThanTheLimit_SplitsIntoAscendingRunsOfTheLimit()
    {
        var peers = new[] { new DhtPeer(PeerId.Random(new Random(407)), "tcp://127.0.0.1:1", default), new DhtPeer(PeerId.Random(new Random(408)), "tcp://127.0.0.1:2", default) };
        var keys = Keys(8, seed: 409);
        var plan = new ProviderBatchPlan([], k: 2);
        foreach (var key in keys.Reverse())
        {
            if (!plan.TryReuse(key))
            {
                plan.AddLookup(key, peers);
            }
        }

        var batches = plan.Batches(maxIds: 3);

        Assert.Equal([3, 3, 2, 3, 3, 2], batches.Select(b => b.Keys.Length));
        foreach (var peer in peers)
        {
            Assert.Equal(keys, batches.Where(b => b.Peer.Id == peer.Id).SelectMany(b => b.Keys));
        }

        Assert.Equal(batches.Select(b => b.Peer.Id), batches.Select(b => b.Peer.Id).Order());
    }

    [Fact]
    public void Plan_SameInputs_SameBatchesInTheSameOrder()
    {
        IReadOnlyList<(DhtPeer Peer, PeerId[] Keys)> Run()
        {
            var random = new Random(410);
            var peers = Enumerable.Range(0, 80).Select(_ => new DhtPeer(PeerId.Random(random), "tcp://127.0.0.1:1", default)).ToArray();
            var plan = new ProviderBatchPlan(peers.Take(40).Select(p => p.Id), 20);
            foreach (var key in Keys(500, seed: 411))
            {
                if (!plan.TryReuse(key))
                {
                    plan.AddLookup(key, Closest(key, peers, 20));
                }
            }

            return plan.Batches(64);
        }

        var first = Run();
        var second = Run();
        Assert.Equal(first.Select(b => (b.Peer.Id, string.Join(",", b.Keys))), second.Select(b => (b.Peer.Id, string.Join(",", b.Keys))));
    }

    [Fact]
    public void StoreBatch_SeededRandomAndMutatedRequests_GetTypedAnswers_AreCounted_AndTheSameSeedGivesTheSameAnswers()
    {
        var (digest, counted) = FuzzStoreBatch(seed: 412);
        var (again, _) = FuzzStoreBatch(seed: 412);
        Assert.Equal(digest, again);
        Assert.True(counted["requests_dropped"] > 0);
        Assert.True(counted["bad_record"] > 0);
        // Every batch sent as STORE is refused as the wrong kind, and counted so.
        Assert.Equal(counted["wrong_record_kind_decoded"], counted["wrong_record_kind"]);
        Assert.True(counted["wrong_record_kind"] >= 3333);
        Assert.True(counted["stores_refused"] > 0);
    }

    [Fact]
    public void StoredBatch_SeededRandomAndMutatedAnswers_DecodeOrGetATypedError()
    {
        var random = new Random(413);
        var w = new ArrayBufferWriter<byte>();
        DhtMessageCodec.WriteStoredBatch(w, default, 1, ProviderBatchVerdict.PerIds([RecordRejection.None, RecordRejection.NotClosest, RecordRejection.ProviderQuota]));
        var valid = w.WrittenSpan.ToArray();
        Assert.True(DhtMessageCodec.TryDecode(valid, _options, out var decoded, out var error), error.ToString());
        Assert.Equal([RecordRejection.None, RecordRejection.NotClosest, RecordRejection.ProviderQuota], decoded.IdVerdicts);
        var errors = new Dictionary<DhtWireError, int>();
        for (var i = 0; i < 10_000; i++)
        {
            byte[] input;
            if (i % 2 == 0)
            {
                input = (byte[])valid.Clone();
                input[random.Next(2, input.Length)] ^= (byte)random.Next(1, 256);
            }
            else
            {
                input = new byte[random.Next(2, 80)];
                random.NextBytes(input);
                input[0] = DhtMessageCodec.Version;
                input[1] = (byte)DhtMessageType.StoredBatch;
            }

            if (DhtMessageCodec.TryDecode(input, _options, out var message, out error))
            {
                // What decodes holds only verdicts a node may give, and none per id under a refusal of the whole batch.
                Assert.All(message.IdVerdicts, v => Assert.True(DhtMessageCodec.IsWireVerdict((byte)v)));
                Assert.True(message.Verdict == RecordRejection.None || message.IdVerdicts.Count == 0);
            }
            else
            {
                errors[error] = errors.GetValueOrDefault(error) + 1;
            }
        }

        Assert.True(errors.GetValueOrDefault(DhtWireError.BadCode) > 0);
        Assert.True(errors.GetValueOrDefault(DhtWireError.TooShort) > 0);
        Assert.True(errors.GetValueOrDefault(DhtWireError.TooManyEntries) > 0);
    }

    // 10,000 inputs into one serving node: random bodies behind the STORE_BATCH type, single-byte mutations of a
    // valid request, a batch sent as STORE; then a valid batch is still kept. Returns a digest of every answer.
    private (string Digest, Dictionary<string, long> Counted) FuzzStoreBatch(int seed)
    {
        var clock = new VirtualTimeProvider(T0);
        var random = new Random(seed);
        var options = DhtTestNetwork.DefaultOptions();
        options.MaxRequestsPerPeerPerSecond = 10_000;
        options.RequestBurstPerPeer = 100_000;
        var store = new RecordStore(options, new RecordValidator(options, new IdentityRecordVerifier()));
        using var meter = new Meter("Overlay.Dht.Tests.ProviderBatchFuzz." + Guid.NewGuid().ToString("N"));
        var metrics = new DhtMetrics(meter);
        var handler = new DhtRequestHandler(new RoutingTable(PeerId.Random(random), options, T0), store, new PeerRateLimiter(options), options, clock, metrics, () => (default, 1.0));
        var valid = StoreBatchRequest(Batch(Keys(6, seed: seed + 1), T0.AddHours(1)));
        var response = new ArrayBufferWriter<byte>();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var counts = new CountingListener(meter);
        var wrongKind = 0L;
        for (var i = 0; i < 10_000; i++)
        {
            byte[] input;
            switch (i % 3)
            {
                case 0:
                    input = new byte[random.Next(2, 400)];
                    random.NextBytes(input);
                    input[0] = DhtMessageCodec.Version;
                    input[1] = (byte)DhtMessageType.StoreBatch;
                    break;
                case 1:
                    input = (byte[])valid.Clone();
                    input[random.Next(2, input.Length)] ^= (byte)random.Next(1, 256);
                    break;
                default:
                    input = (byte[])valid.Clone();
                    input[1] = (byte)DhtMessageType.Store;
                    break;
            }

            if (!DhtMessageCodec.TryDecode(input, options, out _, out var decodeError) && decodeError == DhtWireError.WrongRecordKind)
            {
                wrongKind++;
            }

            response.ResetWrittenCount();
            Assert.True(handler.ServeAsync(_holder.PeerId, input, response).AsTask().IsCompletedSuccessfully);
            Assert.True(DhtMessageCodec.TryDecode(response.WrittenSpan, options, out var answer, out var error), error.ToString());
            Assert.True(answer.Type is DhtMessageType.StoredBatch or DhtMessageType.Error, answer.Type.ToString());
            // The coordinate part of the header is the same for every answer; hash from the body on.
            hash.AppendData(response.WrittenSpan[DhtMessageCodec.ResponseHeaderLength..]);
        }

        var kept = Serve(handler, _holder.PeerId, StoreBatchRequest(Batch(Keys(6, seed: seed + 2), T0.AddHours(2))));
        Assert.Equal(DhtMessageType.StoredBatch, kept.Type);
        Assert.All(kept.IdVerdicts, v => Assert.Equal(RecordRejection.None, v));
        Assert.Equal(metrics.RequestsDropped, counts.Sum("overlay.dht.requests_dropped"));
        return (Convert.ToHexString(hash.GetHashAndReset()), new Dictionary<string, long>
        {
            ["requests_dropped"] = metrics.RequestsDropped,
            ["bad_record"] = counts.Get("overlay.dht.requests_dropped", "bad_record"),
            ["wrong_record_kind"] = counts.Get("overlay.dht.requests_dropped", "wrong_record_kind"),
            ["wrong_record_kind_decoded"] = wrongKind,
            ["stores_refused"] = counts.Sum("overlay.dht.stores_refused"),
        });
    }

    private DhtMessage Serve(DhtRequestHandler handler, PeerId remote, byte[] request)
    {
        var response = new ArrayBufferWriter<byte>();
        Assert.True(handler.ServeAsync(remote, request, response).AsTask().IsCompletedSuccessfully);
        Assert.True(DhtMessageCodec.TryDecode(response.WrittenSpan, _options, out var answer, out var error), error.ToString());
        return answer;
    }

    private static byte[] StoreBatchRequest(ProviderBatch batch)
    {
        var request = new byte[DhtMessageCodec.StoreRequestLength(null, batch)];
        Assert.Equal(request.Length, DhtMessageCodec.WriteStoreRequest(request, null, batch));
        return request;
    }

    private static DhtPeer[] Closest(PeerId key, DhtPeer[] peers, int k) => [.. peers.OrderBy(p => p.Id.Xor(key)).Take(k)];

    // A random id sharing its first `bits` bits with `self`.
    private static PeerId NearSelf(PeerId self, int bits, Random random)
    {
        var id = PeerId.Random(random).ToArray();
        var own = self.ToArray();
        for (var b = 0; b < bits; b++)
        {
            var mask = (byte)(0x80 >> (b % 8));
            id[b / 8] = (byte)((id[b / 8] & ~mask) | (own[b / 8] & mask));
        }

        return PeerId.FromBytes(id);
    }

    private static PeerId[] Keys(int count, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => PeerId.Random(random)).Distinct().Order()];
    }

    private ProviderBatch Batch(PeerId[] sortedKeys, DateTimeOffset expires) =>
        ProviderBatch.Create(sortedKeys, _holder.PeerId, expires.ToUnixTimeMilliseconds(), _holder.PublicKey.Encoded, p => _holder.Sign(p));

    // Sums each counter of one meter by its reason (or type) tag.
    private sealed class CountingListener : IDisposable
    {
        private readonly Dictionary<(string, string), long> _counted = [];
        private readonly MeterListener _listener = new();

        public CountingListener(Meter meter)
        {
            _listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter == meter)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    lock (_counted)
                    {
                        var key = (instrument.Name, tag.Value?.ToString() ?? "");
                        _counted[key] = _counted.GetValueOrDefault(key) + value;
                    }
                }
            });
            _listener.Start();
        }

        public long Get(string name, string tag)
        {
            lock (_counted)
            {
                return _counted.GetValueOrDefault((name, tag));
            }
        }

        public long Sum(string name)
        {
            lock (_counted)
            {
                return _counted.Where(e => e.Key.Item1 == name).Sum(e => e.Value);
            }
        }

        public void Dispose() => _listener.Dispose();
    }
}
