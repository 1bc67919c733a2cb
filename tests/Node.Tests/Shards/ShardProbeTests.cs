using System.Buffers;
using System.Buffers.Binary;
using Overlay.Node.Shards;
using Overlay.Storage;
using Overlay.Transport;

namespace Overlay.Node.Tests.Shards;

/// <summary>
/// The owner's batched probe against live holders on the in-memory network: one stream names every shard a holder
/// keeps for the owner, only the shards it lost are reported, malformed probes are refused and counted while the
/// holder keeps serving, and a holder that predates the batch is probed the old way.
/// </summary>
public sealed class ShardProbeTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Probe_AHolderThatLostOneOfItsShards_NamesThatShardOnly_InOneStream()
    {
        using var t = new ShardTestNetwork(2, seed: 70);
        ProbeResult? result = null;
        List<(ShardId Id, int Size)> shards = [];
        t.Net.Run(async () =>
        {
            await t.StartAsync();
            var owner = t.OwnerOf(0);
            for (var i = 0; i < 4; i++)
            {
                var put = await owner.PutAsync(ShardTestNetwork.Shard(1000 + i, 700 + i), CancellationToken.None);
                shards.Add((put.Id, 1000 + i));
            }

            shards.Sort((a, b) => a.Id.CompareTo(b.Id));
            Assert.True(await t.Nodes[1].Store.DeleteAsync(shards[2].Id));
            result = await owner.Care.ProbeAsync(t.Nodes[1].Identity.PeerId, t.Nodes[1].Address, shards, CancellationToken.None);
        }, TimeSpan.FromMinutes(1));

        Assert.Equal(HolderVerdict.Passed, result!.Reached);
        Assert.Equal([(shards[2].Id, HolderVerdict.Missing)], result.Lost);
        Assert.Equal(1, t.Nodes[0].Metrics.ProbesSent);
        Assert.Equal(1, t.Nodes[1].Metrics.ProbesAnswered);
        Assert.Equal(0, t.Nodes[1].Metrics.ToJson()["fetchesServed"]!.GetValue<long>());
    }

    [Fact]
    public void Probe_AHolderKeepingAShardAtAnotherSize_IsWrongForThatShard()
    {
        using var t = new ShardTestNetwork(2, seed: 71);
        ProbeResult? result = null;
        ShardId id = default;
        t.Net.Run(async () =>
        {
            await t.StartAsync();
            var owner = t.OwnerOf(0);
            id = (await owner.PutAsync(ShardTestNetwork.Shard(3000, 710), CancellationToken.None)).Id;
            result = await owner.Care.ProbeAsync(t.Nodes[1].Identity.PeerId, t.Nodes[1].Address, [(id, 2999)], CancellationToken.None);
        }, TimeSpan.FromMinutes(1));

        Assert.Equal([(id, HolderVerdict.Wrong)], result!.Lost);
    }

    [Fact]
    public void Probe_MoreShardsThanOneRequestNames_SendsOneStreamPerMaxIds()
    {
        using var t = new ShardTestNetwork(2, seed: 72);
        var ids = ShardProbeCodecTests.Ids(ShardProbeCodec.MaxIds + 200, seed: 72);
        ProbeResult? result = null;
        t.Net.Run(async () =>
        {
            await t.StartAsync();
            result = await t.OwnerOf(0).Care.ProbeAsync(t.Nodes[1].Identity.PeerId, t.Nodes[1].Address, [.. ids.Select(id => (id, 10))], CancellationToken.None);
        }, TimeSpan.FromMinutes(1));

        Assert.Equal(HolderVerdict.Passed, result!.Reached);
        Assert.Equal(ids.Length, result.Lost.Count);
        Assert.All(result.Lost, l => Assert.Equal(HolderVerdict.Missing, l.Verdict));
        Assert.Equal(2, t.Nodes[0].Metrics.ProbesSent);
        Assert.Equal(2, t.Nodes[1].Metrics.ProbesAnswered);
        Assert.Equal(ids.Length, t.Nodes[1].Metrics.ToJson()["probeIdsNotHeld"]!.GetValue<long>());
    }

    [Fact]
    public void Probe_AHolderThatPredatesTheBatch_RefusesItMalformed_AndIsProbedWithTheZeroLengthFetch()
    {
        OldHolder? old = null;
        using var t = new ShardTestNetwork(2, seed: 73, wrap: (i, node, real) => i == 1 ? old = new OldHolder(node) : real);
        ProbeResult? kept = null;
        ProbeResult? lost = null;
        List<(ShardId Id, int Size)> shards = [];
        t.Net.Run(async () =>
        {
            await t.StartAsync();
            for (var i = 0; i < 2; i++)
            {
                var data = ShardTestNetwork.Shard(500 + i, 730 + i);
                await t.Nodes[1].Store.PutAsync(data, new ShardPutOptions(Start.AddDays(1)), CancellationToken.None);
                shards.Add((ShardId.Compute(data), data.Length));
            }

            shards.Sort((a, b) => a.Id.CompareTo(b.Id));
            var care = t.OwnerOf(0).Care;
            kept = await care.ProbeAsync(t.Nodes[1].Identity.PeerId, t.Nodes[1].Address, shards, CancellationToken.None);
            Assert.True(await t.Nodes[1].Store.DeleteAsync(shards[0].Id));
            lost = await care.ProbeAsync(t.Nodes[1].Identity.PeerId, t.Nodes[1].Address, shards, CancellationToken.None);
        }, TimeSpan.FromMinutes(1));

        Assert.Equal(HolderVerdict.Passed, kept!.Reached);
        Assert.Empty(kept.Lost);
        Assert.Equal(HolderVerdict.Passed, lost!.Reached);
        Assert.Equal([(shards[0].Id, HolderVerdict.Missing)], lost.Lost);
        Assert.Equal(2, old!.ProbesRefused);
        Assert.Equal(2, old.ZeroLengthFetches);
        Assert.Equal(2, t.Nodes[0].Metrics.ProbesSent);
        Assert.Equal(2, t.Nodes[0].Metrics.ProbeFallbacks);
    }

    [Fact]
    public void Probe_MalformedAndRandomRequests_EachRefusedMalformedAndCounted_HolderStillAnswersAGoodProbe()
    {
        using var t = new ShardTestNetwork(2, seed: 74);
        var random = new Random(74);
        var ids = ShardProbeCodecTests.Ids(3, seed: 74);
        var valid = ShardProbeCodec.EncodeRequest(ids);
        const int Inputs = 2_000;
        var refused = 0;
        int[] sizes = [];
        t.Net.Run(async () =>
        {
            await t.StartAsync();
            var connection = await t.ConnectAsync(0, 1);
            for (var i = 0; i < Inputs; i++)
            {
                // Always a probe's operation byte, then a count out of range, ids out of order, a valid request cut short, or fewer random bytes than the count names.
                byte[] input = (i % 4) switch
                {
                    0 => [(byte)ShardOperation.Probe, .. BitConverter.GetBytes((ushort)random.Next(ShardProbeCodec.MaxIds + 1, ushort.MaxValue)).Reverse()],
                    1 => [.. valid[..3], .. valid[35..67], .. valid[3..35], .. valid[67..]],
                    2 => valid[..random.Next(1, valid.Length)],
                    _ => [(byte)ShardOperation.Probe, 0, (byte)(i % 7 + 1), .. Junk(random, (i % 7) + 1)],
                };
                refused += await SendAsync(connection, input) == (byte)ShardRefusal.Malformed ? 1 : 0;
            }

            sizes = await t.ClientOf(0).ProbeAsync(connection, ids, CancellationToken.None);
            Assert.False(connection.Closed.IsCancellationRequested);
        }, TimeSpan.FromMinutes(2));

        Assert.Equal(Inputs, refused);
        Assert.Equal(Inputs, t.Nodes[1].Metrics.RefusalCount(ShardRefusal.Malformed));
        Assert.Equal([-1, -1, -1], sizes);
        Assert.Equal(1, t.Nodes[1].Metrics.ProbesAnswered);
    }

    /// <summary>Random bytes, fewer than <paramref name="count"/> ids.</summary>
    private static byte[] Junk(Random random, int count)
    {
        var bytes = new byte[random.Next(0, count * ShardId.Size)];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>Sends <paramref name="input"/> as a whole stream and returns the status byte of the answer.</summary>
    private static async Task<byte> SendAsync(ITransportConnection connection, byte[] input)
    {
        var stream = await connection.OpenStreamAsync(ProtocolIds.Shard, CancellationToken.None);
        await using (stream)
        {
            await stream.WriteAsync(input);
            await stream.CompleteWritesAsync(CancellationToken.None);
            var status = new byte[1];
            Assert.True(await ShardStreams.TryReadExactlyAsync(stream, status, CancellationToken.None));
            await ShardStreams.DrainAsync(stream, 4096, CancellationToken.None);
            return status[0];
        }
    }

    /// <summary>
    /// A holder as it was before operation 6: any operation byte it does not know is refused Malformed, and the owner's
    /// probe is a zero-length fetch answered with the shard's size from the store.
    /// </summary>
    private sealed class OldHolder(ShardTestNode node) : IProtocolHandler
    {
        public int ProbesRefused { get; private set; }

        public int ZeroLengthFetches { get; private set; }

        public ValueTask HandleRequestAsync(ITransportConnection connection, ReadOnlyMemory<byte> request, IBufferWriter<byte> response, CancellationToken cancellationToken) =>
            ValueTask.CompletedTask;

        public ValueTask HandleMessageAsync(ITransportConnection connection, ReadOnlyMemory<byte> message, CancellationToken cancellationToken) =>
            ValueTask.CompletedTask;

        public async ValueTask HandleStreamAsync(ITransportConnection connection, TransportStream stream, CancellationToken cancellationToken)
        {
            var op = new byte[1];
            Assert.True(await ShardStreams.TryReadExactlyAsync(stream, op, cancellationToken));
            if (op[0] != (byte)ShardOperation.Fetch)
            {
                Assert.Equal((byte)ShardOperation.Probe, op[0]);
                ProbesRefused++;
                await ShardStreams.RefuseAsync(stream, ShardRefusal.Malformed, $"{op[0]} names no shard/1 operation.", cancellationToken);
                await ShardStreams.DrainAsync(stream, 64 * 1024, cancellationToken);
                return;
            }

            var header = new byte[1 + ShardCodec.FetchBodyBytes];
            header[0] = op[0];
            Assert.True(await ShardStreams.TryReadExactlyAsync(stream, header.AsMemory(1), cancellationToken));
            Assert.True(ShardCodec.TryDecodeRequest(header, out var request, out _));
            Assert.Equal(0, request.Length);
            ZeroLengthFetches++;
            if (!node.Store.TryGetInfo(request.Id, out var info))
            {
                await ShardStreams.RefuseAsync(stream, ShardRefusal.NotFound, "This node does not hold the shard.", cancellationToken);
            }
            else
            {
                var reply = new byte[9];
                BinaryPrimitives.WriteUInt32BigEndian(reply.AsSpan(1), (uint)info.Size);
                await stream.WriteAsync(reply, cancellationToken);
                await stream.CompleteWritesAsync(cancellationToken);
            }

            await ShardStreams.DrainAsync(stream, 0, cancellationToken);
        }
    }
}
