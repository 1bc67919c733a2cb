using Overlay.Node.Shards;
using Overlay.Storage;
using Overlay.Transport;

namespace Overlay.Node.Tests.Shards;

/// <summary>Seeded random and mutated <c>shard/1</c> streams into a live node, which keeps serving.</summary>
public sealed class ShardFuzzTests
{
    private const int Inputs = 100_000;
    private const int InFlight = 64;

    [Fact]
    public void Streams_HundredThousandRandomAndMutatedInputs_EachAnsweredOrCutOffAndCounted_NodeKeepsServing()
    {
        using var t = new ShardTestNetwork(3, seed: 50, o => o.StreamTimeout = TimeSpan.FromSeconds(2));
        var random = new Random(50);
        var stored = ShardTestNetwork.Shard(3000, 50);
        var storedId = ShardId.Compute(stored);
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var pulled = ShardTestNetwork.Shard(2000, 52);
        var pulledId = ShardId.Compute(pulled);
        List<byte[]> valid =
        [
            ShardCodec.EncodeStore(storedId, 40, start.AddDays(1)),
            ShardCodec.EncodeFetch(storedId, 0, ShardCodec.ToEnd),
            ShardCodec.EncodeFetch(storedId, 2999, 5),
            ShardCodec.EncodeAudit(storedId, new byte[32]),
            ShardCodec.EncodeRenew(storedId, start.AddDays(2)),
            ShardProbeCodec.EncodeRequest([storedId]),
            ShardProbeCodec.EncodeRequest(ShardProbeCodecTests.Ids(3, seed: 50)),
        ];
        var answered = 0;
        var cutOff = 0;
        t.Net.Run(async () =>
        {
            await t.StartAsync();
            var connection = await t.ConnectAsync(0, 1);
            await t.ClientOf(0).StoreAsync(connection, storedId, stored, start.AddDays(1), CancellationToken.None);
            await t.ClientOf(0).StoreAsync(await t.ConnectAsync(0, 2), pulledId, pulled, start.AddDays(1), CancellationToken.None);
            valid.Add(ShardCodec.EncodePull(pulledId, pulled.Length, start.AddDays(1), t.Nodes[2].Address.ToString()));
            var pending = new List<Task<bool>>(InFlight);
            for (var i = 0; i < Inputs; i++)
            {
                pending.Add(SendAsync(connection, Input(random, valid)));
                if (pending.Count == InFlight)
                {
                    foreach (var ok in await Task.WhenAll(pending))
                    {
                        (answered, cutOff) = ok ? (answered + 1, cutOff) : (answered, cutOff + 1);
                    }

                    pending.Clear();
                }
            }

            foreach (var ok in await Task.WhenAll(pending))
            {
                (answered, cutOff) = ok ? (answered + 1, cutOff) : (answered, cutOff + 1);
            }

            // Still serving: the fuzzing peer's connection fetches, and another peer stores and fetches
            // (the fuzzing peer itself has spent its store rate on the fuzzed stores).
            var back = new byte[stored.Length];
            await t.ClientOf(0).FetchAsync(connection, storedId, 0, ShardCodec.ToEnd, back, null, CancellationToken.None);
            Assert.Equal(stored, back);
            Assert.False(connection.Closed.IsCancellationRequested);
            var after = ShardTestNetwork.Shard(5000, 51);
            var other = await t.ConnectAsync(2, 1);
            await t.ClientOf(2).StoreAsync(other, ShardId.Compute(after), after, start.AddDays(1), CancellationToken.None);
            back = new byte[after.Length];
            await t.ClientOf(2).FetchAsync(other, ShardId.Compute(after), 0, ShardCodec.ToEnd, back, null, CancellationToken.None);
            Assert.Equal(after, back);
        }, TimeSpan.FromMinutes(5));

        Assert.Equal(Inputs, answered + cutOff);
        var m = t.Nodes[1].Metrics;
        var outcomes = m.HeldCount + m.AbortedCount + Enum.GetValues<ShardRefusal>().Where(r => r != ShardRefusal.None).Sum(m.RefusalCount);
        var json = m.ToJson();
        outcomes += json["fetchesServed"]!.GetValue<long>() + json["auditsAnswered"]!.GetValue<long>() + json["renewalsServed"]!.GetValue<long>() + m.ProbesAnswered;

        // Every input had exactly one counted outcome (beside the two well-formed stores and the two fetches).
        Assert.Equal(Inputs + 4, outcomes);
        Assert.True(json["renewalsServed"]!.GetValue<long>() > 0 && json["pullsServed"]!.GetValue<long>() > 0 && m.ProbesAnswered > 0, json.ToJsonString());
        Assert.True(m.RefusalCount(ShardRefusal.Malformed) > Inputs / 3, $"{m.RefusalCount(ShardRefusal.Malformed)} malformed");
    }

    private static byte[] Input(Random random, List<byte[]> valid)
    {
        switch (random.Next(4))
        {
            case 0:
                var bytes = new byte[random.Next(0, 120)];
                random.NextBytes(bytes);
                return bytes;
            case 1:
                // A valid header with a few bytes flipped.
                var mutated = (byte[])valid[random.Next(valid.Count)].Clone();
                for (var flips = random.Next(1, 4); flips > 0; flips--)
                {
                    mutated[random.Next(mutated.Length)] ^= (byte)(1 << random.Next(8));
                }

                return mutated;
            case 2:
                // A valid header cut short, or followed by junk.
                var header = valid[random.Next(valid.Count)];
                var junk = new byte[random.Next(0, 64)];
                random.NextBytes(junk);
                return random.Next(2) == 0 ? header[..random.Next(header.Length)] : [.. header, .. junk];
            default:
                // A real operation byte and a random body of about the right length.
                var body = new byte[random.Next(30, 70)];
                random.NextBytes(body);
                return [(byte)random.Next(1, 7), .. body];
        }
    }

    /// <summary>True when the node answered and ended its side; false when it cut the stream off (a reset).</summary>
    private static async Task<bool> SendAsync(ITransportConnection connection, byte[] input)
    {
        try
        {
            await ShardExchangeContractTests.RawAsync(connection, input);
            return true;
        }
        catch (TransportException)
        {
            return false;
        }
    }
}
