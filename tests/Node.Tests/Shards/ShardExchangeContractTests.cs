using System.Buffers.Binary;
using Overlay.Node.Shards;
using Overlay.Storage;
using Overlay.Transport;

namespace Overlay.Node.Tests.Shards;

/// <summary>Every <c>shard/1</c> message and refusal between live nodes on the in-memory network.</summary>
public sealed class ShardExchangeContractTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Store_AcceptedShard_IsKeptForTheSenderAndAnsweredWithAReceiptSignedByTheHolder()
    {
        using var t = new ShardTestNetwork(2, seed: 1);
        var data = ShardTestNetwork.Shard(100_000, 1);
        var id = ShardId.Compute(data);
        t.Net.Run(async () =>
        {
            await t.StartAsync();
            var receipt = await t.ClientOf(0).StoreAsync(await t.ConnectAsync(0, 1), id, data, Start.AddDays(1), CancellationToken.None);
            Assert.Equal(id, receipt.Shard);
            Assert.Equal(data.Length, receipt.Size);
            Assert.Equal(t.Nodes[1].Identity.PeerId, receipt.Holder);
            Assert.Equal(t.Nodes[0].Identity.PeerId, receipt.Owner);
            Assert.Equal(Start.AddDays(1), receipt.ExpiresAt);
            Assert.Equal(ReceiptRejection.None, receipt.Check(id, data.Length, t.Nodes[0].Identity.PeerId, t.Nodes[1].Identity.PeerId));

            // A second store of the same shard is a renewal: a later receipt with a higher sequence.
            var again = await t.ClientOf(0).StoreAsync(await t.ConnectAsync(0, 1), id, data, Start.AddDays(2), CancellationToken.None);
            Assert.True(again.Sequence > receipt.Sequence);
        });

        var holder = t.Nodes[1];
        Assert.True(holder.Store.Contains(id));
        Assert.Equal(1, holder.Store.GetOwnerUsage(t.Nodes[0].Identity.PeerId).ShardCount);
        Assert.Equal(2, holder.Metrics.HeldCount);
    }

    [Fact]
    public void Store_ExpiryPastTheHoldLimit_IsGrantedTheLimitAndTheReceiptSaysSo()
    {
        using var t = new ShardTestNetwork(2, seed: 2, o => o.MaxHoldDuration = TimeSpan.FromDays(3));
        var data = ShardTestNetwork.Shard(5000, 2);
        t.Net.Run(async () =>
        {
            await t.StartAsync();
            var receipt = await t.ClientOf(0).StoreAsync(await t.ConnectAsync(0, 1), ShardId.Compute(data), data, Start.AddDays(300), CancellationToken.None);
            Assert.Equal(Start.AddDays(3), receipt.ExpiresAt);
        });
    }

    public static TheoryData<string> Refusals => ["size", "bytes", "count", "rate", "unwilling", "expired", "mismatch", "truncated", "extra"];

    [Theory]
    [MemberData(nameof(Refusals))]
    public void Store_Refused_IsTypedCountedAndStoresNothing(string scenario)
    {
        using var t = new ShardTestNetwork(2, seed: 3, o =>
        {
            o.MaxBytesPerPeer = scenario == "bytes" ? 20_000 : o.MaxBytesPerPeer;
            o.MaxShardsPerPeer = scenario == "count" ? 1 : o.MaxShardsPerPeer;
            (o.StoresPerMinutePerPeer, o.StoreBurstPerPeer) = scenario == "rate" ? (1, 1) : (o.StoresPerMinutePerPeer, o.StoreBurstPerPeer);
            o.AcceptStores = scenario != "unwilling";
        });
        var first = ShardTestNetwork.Shard(15_000, 30);
        var data = ShardTestNetwork.Shard(scenario == "size" ? ShardTestNetwork.MaxShardBytes + 1 : 15_000, 31);
        var id = ShardId.Compute(data);
        var expected = scenario switch
        {
            "size" or "truncated" or "extra" => ShardRefusal.Size,
            "bytes" or "count" => ShardRefusal.Quota,
            "rate" => ShardRefusal.Rate,
            "unwilling" or "expired" => ShardRefusal.Unwilling,
            _ => ShardRefusal.Mismatch,
        };
        byte[] reply = [];
        t.Net.Run(async () =>
        {
            await t.StartAsync();
            var connection = await t.ConnectAsync(0, 1);
            var client = t.ClientOf(0);
            if (scenario is "count" or "rate" or "bytes")
            {
                await client.StoreAsync(connection, ShardId.Compute(first), first, Start.AddDays(1), CancellationToken.None);
            }

            switch (scenario)
            {
                case "mismatch":
                    reply = await RawAsync(connection, [.. ShardCodec.EncodeStore(ShardId.Compute(first), data.Length, Start.AddDays(1)), .. data]);
                    break;
                case "truncated":
                    reply = await RawAsync(connection, [.. ShardCodec.EncodeStore(id, data.Length, Start.AddDays(1)), .. data[..9000]]);
                    break;
                case "extra":
                    reply = await RawAsync(connection, [.. ShardCodec.EncodeStore(id, data.Length, Start.AddDays(1)), .. data, 7]);
                    break;
                default:
                    var e = await Assert.ThrowsAsync<ShardExchangeException>(() =>
                        client.StoreAsync(connection, id, data, scenario == "expired" ? Start.AddMinutes(-1) : Start.AddDays(1), CancellationToken.None));
                    Assert.Equal(expected, e.Refusal);
                    break;
            }
        });

        if (reply.Length > 0)
        {
            // Raw: the go-ahead (0), then the refusal code, a length and a sentence.
            Assert.Equal(0, reply[0]);
            Assert.Equal((byte)expected, reply[1]);
            Assert.Equal(reply.Length - 3, reply[2]);
        }

        Assert.False(t.Nodes[1].Store.Contains(id));
        Assert.Equal(1, t.Nodes[1].Metrics.RefusalCount(expected));
    }

    [Fact]
    public void Store_RateRefused_IsAcceptedAgainOnceTheBucketRefills()
    {
        using var t = new ShardTestNetwork(2, seed: 4, o => (o.StoresPerMinutePerPeer, o.StoreBurstPerPeer) = (1, 1));
        t.Net.Run(async () =>
        {
            await t.StartAsync();
            var connection = await t.ConnectAsync(0, 1);
            var client = t.ClientOf(0);
            var a = ShardTestNetwork.Shard(2000, 40);
            var b = ShardTestNetwork.Shard(2000, 41);
            await client.StoreAsync(connection, ShardId.Compute(a), a, Start.AddDays(1), CancellationToken.None);
            var refused = await Assert.ThrowsAsync<ShardExchangeException>(() => client.StoreAsync(connection, ShardId.Compute(b), b, Start.AddDays(1), CancellationToken.None));
            Assert.Equal(ShardRefusal.Rate, refused.Refusal);
            await Task.Delay(TimeSpan.FromSeconds(61), t.Clock);
            await client.StoreAsync(connection, ShardId.Compute(b), b, Start.AddDays(1), CancellationToken.None);
        });
    }

    [Fact]
    public void Store_OneIdentityExhaustsItsQuota_OthersAreStillServed()
    {
        using var t = new ShardTestNetwork(3, seed: 5, o => o.MaxBytesPerPeer = 50_000);
        t.Net.Run(async () =>
        {
            await t.StartAsync();
            var greedy = t.ClientOf(0);
            var refusals = 0;
            for (var i = 0; i < 10; i++)
            {
                var data = ShardTestNetwork.Shard(10_000, 100 + i);
                try
                {
                    await greedy.StoreAsync(await t.ConnectAsync(0, 2), ShardId.Compute(data), data, Start.AddDays(1), CancellationToken.None);
                }
                catch (ShardExchangeException e) when (e.Refusal == ShardRefusal.Quota)
                {
                    refusals++;
                }
            }

            Assert.Equal(6, refusals);
            var other = ShardTestNetwork.Shard(10_000, 200);
            var receipt = await t.ClientOf(1).StoreAsync(await t.ConnectAsync(1, 2), ShardId.Compute(other), other, Start.AddDays(1), CancellationToken.None);
            Assert.Equal(t.Nodes[1].Identity.PeerId, receipt.Owner);
        });
    }

    [Fact]
    public void Fetch_WholeRangeAndOffsets_AreServedOrRefusedTyped()
    {
        using var t = new ShardTestNetwork(2, seed: 6);
        var data = ShardTestNetwork.Shard(300_000, 6);
        var id = ShardId.Compute(data);
        t.Net.Run(async () =>
        {
            await t.StartAsync();
            var connection = await t.ConnectAsync(0, 1);
            var client = t.ClientOf(0);
            await client.StoreAsync(connection, id, data, Start.AddDays(1), CancellationToken.None);

            var whole = new byte[data.Length];
            Assert.Equal(data.Length, await client.FetchAsync(connection, id, 0, ShardCodec.ToEnd, whole, null, CancellationToken.None));
            Assert.Equal(data, whole);

            var range = new byte[1000];
            Assert.Equal(data.Length, await client.FetchAsync(connection, id, 123_456, 1000, range, null, CancellationToken.None));
            Assert.Equal(data.AsSpan(123_456, 1000).ToArray(), range);

            var tail = new byte[10];
            await client.FetchAsync(connection, id, data.Length - 10, ShardCodec.ToEnd, tail, null, CancellationToken.None);
            Assert.Equal(data.AsSpan(data.Length - 10).ToArray(), tail);

            var past = await Assert.ThrowsAsync<ShardExchangeException>(() => client.FetchAsync(connection, id, data.Length + 1, 1, new byte[1], null, CancellationToken.None));
            Assert.Equal(ShardRefusal.Range, past.Refusal);
            var missing = await Assert.ThrowsAsync<ShardExchangeException>(() => client.FetchAsync(connection, ShardId.Compute([1, 2, 3]), 0, ShardCodec.ToEnd, new byte[10], null, CancellationToken.None));
            Assert.Equal(ShardRefusal.NotFound, missing.Refusal);
        });
        Assert.Equal(1, t.Nodes[1].Metrics.RefusalCount(ShardRefusal.Range));
        Assert.Equal(1, t.Nodes[1].Metrics.RefusalCount(ShardRefusal.NotFound));
    }

    [Fact]
    public void Audit_HolderWithTheBytes_AnswersWhatTheOwnerPrecomputed_MissingShardIsNotFound()
    {
        using var t = new ShardTestNetwork(2, seed: 7);
        var data = ShardTestNetwork.Shard(70_000, 7);
        var id = ShardId.Compute(data);
        var nonce = new byte[32];
        new Random(7).NextBytes(nonce);
        var expected = new byte[32];
        ShardAudit.Answer(nonce, id, data, expected);
        t.Net.Run(async () =>
        {
            await t.StartAsync();
            var connection = await t.ConnectAsync(0, 1);
            var client = t.ClientOf(0);
            await client.StoreAsync(connection, id, data, Start.AddDays(1), CancellationToken.None);
            var answer = await client.AuditAsync(connection, id, nonce, CancellationToken.None);
            Assert.True(ShardAudit.Matches(expected, answer));

            // Another nonce gives another answer: nothing of one answer helps with the next.
            nonce[0] ^= 1;
            answer = await client.AuditAsync(connection, id, nonce, CancellationToken.None);
            Assert.False(ShardAudit.Matches(expected, answer));

            var missing = await Assert.ThrowsAsync<ShardExchangeException>(() => client.AuditAsync(connection, ShardId.Compute([9]), nonce, CancellationToken.None));
            Assert.Equal(ShardRefusal.NotFound, missing.Refusal);
        });
    }

    [Fact]
    public void AuditPrepare_ManyChallengesAtOnce_EachIsTheHoldersAnswerToItsNonce()
    {
        // The owner prepares its challenges together (all nonces over one pass of the shard); each must be
        // exactly what a holder computes for that nonce alone, for sizes around chunks and for counts past 16.
        var random = new Random(18);
        foreach (var (size, count) in new[] { (0, 1), (1, 16), (1024, 3), (70_000, 16), (419_431, 17), (1 << 20, 40) })
        {
            var data = ShardTestNetwork.Shard(size, size + count);
            var id = ShardId.Compute(data);
            var challenges = ShardAudit.Prepare(id, data, count, random.NextBytes);
            Assert.Equal(count, challenges.Count);
            Assert.Equal(count, challenges.Select(c => Convert.ToHexString(c.Nonce)).Distinct().Count());
            foreach (var c in challenges)
            {
                var answer = new byte[32];
                ShardAudit.Answer(c.Nonce, id, data, answer);
                Assert.True(ShardAudit.Matches(c.Answer, answer), $"{size} bytes, {count} challenges");
            }
        }
    }

    [Fact]
    public void Request_Malformed_IsRefusedMalformedAndTheConnectionKeepsServing()
    {
        using var t = new ShardTestNetwork(2, seed: 8);
        t.Net.Run(async () =>
        {
            await t.StartAsync();
            var connection = await t.ConnectAsync(0, 1);
            foreach (var input in new byte[][] { [], [0], [99, 1, 2], [(byte)ShardOperation.Fetch, 1, 2, 3], BadExpiry() })
            {
                var reply = await RawAsync(connection, input);
                Assert.Equal((byte)ShardRefusal.Malformed, reply[0]);
            }

            var data = ShardTestNetwork.Shard(1000, 8);
            await t.ClientOf(0).StoreAsync(connection, ShardId.Compute(data), data, Start.AddDays(1), CancellationToken.None);
        });
        Assert.Equal(5, t.Nodes[1].Metrics.RefusalCount(ShardRefusal.Malformed));
    }

    [Fact]
    public void Request_AsAControlRequest_IsRefusedWrongClassByTheTransport()
    {
        using var t = new ShardTestNetwork(2, seed: 9);
        t.Net.Run(async () =>
        {
            await t.StartAsync();
            var connection = await t.ConnectAsync(0, 1);
            await Assert.ThrowsAsync<ArgumentException>(async () => await connection.RequestAsync(ProtocolIds.Shard, new byte[] { 1 }, cancellationToken: TestContext.Current.CancellationToken));
        });
    }

    [Fact]
    public void Store_PeerStallsMidShard_IsCutOffAtTheStreamTimeoutAndStoresNothing()
    {
        using var t = new ShardTestNetwork(2, seed: 10, o => o.StreamTimeout = TimeSpan.FromSeconds(5));
        var data = ShardTestNetwork.Shard(50_000, 10);
        var id = ShardId.Compute(data);
        t.Net.Run(async () =>
        {
            await t.StartAsync();
            var connection = await t.ConnectAsync(0, 1);
            await using var stream = await connection.OpenStreamAsync(ProtocolIds.Shard);
            await stream.WriteAsync(ShardCodec.EncodeStore(id, data.Length, Start.AddDays(1)));
            await stream.WriteAsync(data.AsMemory(0, 1000));
            var go = new byte[1];
            Assert.True(await ShardStreams.TryReadExactlyAsync(stream, go, TestContext.Current.CancellationToken));

            // Silence: the holder gives up after its stream timeout and resets the stream.
            await Task.Delay(TimeSpan.FromSeconds(6), t.Clock);
            await Assert.ThrowsAsync<TransportException>(async () =>
            {
                while (await stream.ReadAsync(new byte[16], TestContext.Current.CancellationToken) > 0)
                {
                }
            });
        });
        Assert.False(t.Nodes[1].Store.Contains(id));
        Assert.Equal(1, t.Nodes[1].Metrics.AbortedCount);
    }

    internal static async Task<byte[]> RawAsync(ITransportConnection connection, byte[] input)
    {
        await using var stream = await connection.OpenStreamAsync(ProtocolIds.Shard);
        var reading = ReadAllAsync(stream);
        await stream.WriteAsync(input);
        await stream.CompleteWritesAsync();
        return await reading;
    }

    private static async Task<byte[]> ReadAllAsync(TransportStream stream)
    {
        var output = new MemoryStream();
        var buffer = new byte[4096];
        int read;
        while ((read = await stream.ReadAsync(buffer, TestContext.Current.CancellationToken)) > 0)
        {
            output.Write(buffer, 0, read);
        }

        return output.ToArray();
    }

    private static byte[] BadExpiry()
    {
        var header = ShardCodec.EncodeStore(ShardId.Compute([1]), 10, Start);
        BinaryPrimitives.WriteInt64BigEndian(header.AsSpan(37), -5);
        return header;
    }
}
