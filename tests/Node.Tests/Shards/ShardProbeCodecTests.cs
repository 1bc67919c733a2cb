using System.Buffers.Binary;
using Overlay.Node.Shards;
using Overlay.Storage;

namespace Overlay.Node.Tests.Shards;

/// <summary>The batched probe's request and answer codec: round trips, every malformed shape typed, seeded random and mutated input.</summary>
public sealed class ShardProbeCodecTests
{
    private const int RandomInputs = 20_000;

    [Fact]
    public void Request_RoundTrips_IdsInOrder()
    {
        var ids = Ids(5, seed: 1);
        var bytes = ShardProbeCodec.EncodeRequest(ids);

        Assert.Equal(1 + 2 + (5 * 32), bytes.Length);
        Assert.Equal((byte)ShardOperation.Probe, bytes[0]);
        Assert.True(ShardProbeCodec.TryDecodeRequest(bytes, out var decoded, out var error), error.ToString());
        Assert.Equal(ids, decoded);
    }

    [Fact]
    public void Answer_RoundTrips_NotHeldAsMinusOne()
    {
        uint[] sizes = [16384, ShardProbeCodec.NotHeld, 0, int.MaxValue];
        var bytes = ShardProbeCodec.EncodeAnswer(sizes);

        Assert.Equal(0, bytes[0]);
        Assert.True(ShardProbeCodec.TryDecodeAnswer(bytes.AsSpan(1), 4, out var decoded, out var error), error.ToString());
        Assert.Equal([16384, -1, 0, int.MaxValue], decoded);
    }

    [Fact]
    public void EncodeRequest_NoIdsTooManyOrUnsorted_Throws()
    {
        var ids = Ids(ShardProbeCodec.MaxIds + 1, seed: 2);
        Assert.Throws<ArgumentException>(() => ShardProbeCodec.EncodeRequest([]));
        Assert.Throws<ArgumentException>(() => ShardProbeCodec.EncodeRequest(ids));
        Assert.Throws<ArgumentException>(() => ShardProbeCodec.EncodeRequest([ids[1], ids[0]]));
        Assert.Throws<ArgumentException>(() => ShardProbeCodec.EncodeRequest([ids[0], ids[0]]));
        Assert.Equal(1 + 2 + (ShardProbeCodec.MaxIds * 32), ShardProbeCodec.EncodeRequest(ids.AsSpan(0, ShardProbeCodec.MaxIds)).Length);
    }

    public static TheoryData<string, ShardWireError> MalformedRequests => new()
    {
        { "", ShardWireError.Empty },
        { "02", ShardWireError.UnknownOperation },
        { "06", ShardWireError.Truncated },
        { "0600", ShardWireError.Truncated },
        { "060000", ShardWireError.ProbeCountOutOfRange },
        { "060401", ShardWireError.ProbeCountOutOfRange },
        { "06ffff", ShardWireError.ProbeCountOutOfRange },
        { "060001", ShardWireError.Truncated },
        { "060001" + Id(1) + "00", ShardWireError.TrailingBytes },
        { "060002" + Id(1), ShardWireError.Truncated },
        { "060002" + Id(2) + Id(1), ShardWireError.ProbeIdsUnsorted },
        { "060002" + Id(1) + Id(1), ShardWireError.ProbeIdsUnsorted },
        { "060003" + Id(1) + Id(3) + Id(2), ShardWireError.ProbeIdsUnsorted },
    };

    [Theory]
    [MemberData(nameof(MalformedRequests))]
    public void TryDecodeRequest_Malformed_FalseWithItsReason(string hex, ShardWireError expected)
    {
        Assert.False(ShardProbeCodec.TryDecodeRequest(Convert.FromHexString(hex), out var ids, out var error));
        Assert.Equal(expected, error);
        Assert.Empty(ids);
    }

    public static TheoryData<string, int, ShardWireError> MalformedAnswers => new()
    {
        { "", 1, ShardWireError.Truncated },
        { "00", 1, ShardWireError.Truncated },
        { "0000", 1, ShardWireError.ProbeCountOutOfRange },
        { "0401", 1, ShardWireError.ProbeCountOutOfRange },
        { "0002" + "00000010" + "00000010", 1, ShardWireError.ProbeAnswerCountMismatch },
        { "0001", 1, ShardWireError.Truncated },
        { "0001" + "000000", 1, ShardWireError.Truncated },
        { "0001" + "00000010" + "00", 1, ShardWireError.TrailingBytes },
        { "0001" + "80000000", 1, ShardWireError.ProbeAnswerSizeOutOfRange },
        { "0001" + "fffffffe", 1, ShardWireError.ProbeAnswerSizeOutOfRange },
    };

    [Theory]
    [MemberData(nameof(MalformedAnswers))]
    public void TryDecodeAnswer_Malformed_FalseWithItsReason(string hex, int asked, ShardWireError expected)
    {
        Assert.False(ShardProbeCodec.TryDecodeAnswer(Convert.FromHexString(hex), asked, out var sizes, out var error));
        Assert.Equal(expected, error);
        Assert.Empty(sizes);
    }

    [Fact]
    public void TryDecodeRequest_SeededRandomAndMutatedInput_NeverThrows_EveryRefusalTyped_EveryAcceptanceReencodesExactly()
    {
        var random = new Random(61);
        var valid = ShardProbeCodec.EncodeRequest(Ids(6, seed: 3));
        var accepted = 0;
        var reasons = new HashSet<ShardWireError>();
        for (var i = 0; i < RandomInputs; i++)
        {
            var input = Mutate(random, valid, shape: i % 3);
            if (ShardProbeCodec.TryDecodeRequest(input, out var ids, out var error))
            {
                Assert.Equal(ShardWireError.None, error);
                Assert.Equal(input, ShardProbeCodec.EncodeRequest(ids));
                accepted++;
            }
            else
            {
                Assert.NotEqual(ShardWireError.None, error);
                reasons.Add(error);
            }
        }

        // Flips inside an id keep the request well formed (and sorted, most of the time); the rest are refused for what they broke.
        Assert.InRange(accepted, 1, RandomInputs - 1);
        Assert.Superset(new HashSet<ShardWireError> { ShardWireError.Truncated, ShardWireError.ProbeCountOutOfRange, ShardWireError.ProbeIdsUnsorted, ShardWireError.UnknownOperation, ShardWireError.TrailingBytes }, reasons);
    }

    [Fact]
    public void TryDecodeAnswer_SeededRandomAndMutatedInput_NeverThrows_EveryRefusalTyped()
    {
        var random = new Random(62);
        var valid = ShardProbeCodec.EncodeAnswer([16384, ShardProbeCodec.NotHeld, 5, 7]).AsSpan(1).ToArray();
        var accepted = 0;
        var reasons = new HashSet<ShardWireError>();
        for (var i = 0; i < RandomInputs; i++)
        {
            var input = Mutate(random, valid, shape: i % 3);
            if (ShardProbeCodec.TryDecodeAnswer(input, 4, out var sizes, out var error))
            {
                Assert.Equal(4, sizes.Length);
                Assert.All(sizes, s => Assert.True(s >= -1));
                accepted++;
            }
            else
            {
                Assert.NotEqual(ShardWireError.None, error);
                Assert.Empty(sizes);
                reasons.Add(error);
            }
        }

        Assert.InRange(accepted, 1, RandomInputs - 1);
        Assert.Superset(new HashSet<ShardWireError> { ShardWireError.Truncated, ShardWireError.ProbeCountOutOfRange, ShardWireError.ProbeAnswerCountMismatch, ShardWireError.ProbeAnswerSizeOutOfRange, ShardWireError.TrailingBytes }, reasons);
    }

    /// <summary>Random bytes (shape 0), a valid input with bits flipped (1), or cut short / extended with junk (2).</summary>
    private static byte[] Mutate(Random random, byte[] valid, int shape)
    {
        switch (shape)
        {
            case 0:
                var bytes = new byte[random.Next(0, 260)];
                random.NextBytes(bytes);
                if (bytes.Length > 2 && random.Next(2) == 0)
                {
                    // Often a plausible start, so the decoder gets past the first checks.
                    bytes[0] = valid[0];
                    BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(1), (ushort)random.Next(0, 8));
                }

                return bytes;
            case 1:
                var flipped = (byte[])valid.Clone();
                for (var flips = random.Next(1, 4); flips > 0; flips--)
                {
                    flipped[random.Next(flipped.Length)] ^= (byte)(1 << random.Next(8));
                }

                return flipped;
            default:
                var junk = new byte[random.Next(1, 40)];
                random.NextBytes(junk);
                return random.Next(2) == 0 ? valid[..random.Next(valid.Length)] : [.. valid, .. junk];
        }
    }

    private static string Id(byte last)
    {
        var bytes = new byte[32];
        bytes[31] = last;
        return Convert.ToHexString(bytes);
    }

    internal static ShardId[] Ids(int count, int seed)
    {
        var random = new Random(seed);
        var ids = new ShardId[count];
        for (var i = 0; i < count; i++)
        {
            var bytes = new byte[8];
            random.NextBytes(bytes);
            ids[i] = ShardId.Compute(bytes);
        }

        Array.Sort(ids);
        return ids;
    }
}
