namespace Overlay.Erasure.Tests;

/// <summary>Seeded random stripes and the bookkeeping around erasing and comparing shards.</summary>
internal static class Stripes
{
    /// <summary>k + m shards of <paramref name="length"/> bytes, each its own array; data random, parity encoded.</summary>
    public static Memory<byte>[] Encoded(ReedSolomonCodec codec, int length, Random random)
    {
        var shards = new Memory<byte>[codec.TotalShards];
        for (var i = 0; i < shards.Length; i++)
        {
            var shard = new byte[length];
            if (i < codec.DataShards)
            {
                random.NextBytes(shard);
            }

            shards[i] = shard;
        }

        codec.Encode(shards);
        return shards;
    }

    public static byte[][] Copy(ReadOnlySpan<Memory<byte>> shards)
    {
        var copy = new byte[shards.Length][];
        for (var i = 0; i < shards.Length; i++)
        {
            copy[i] = shards[i].ToArray();
        }

        return copy;
    }

    /// <summary>Overwrites the absent shards with noise, so a rebuild that skips one is caught.</summary>
    public static void Erase(Memory<byte>[] shards, ReadOnlySpan<bool> present, Random random)
    {
        for (var i = 0; i < shards.Length; i++)
        {
            if (!present[i])
            {
                random.NextBytes(shards[i].Span);
            }
        }
    }

    /// <summary>A presence set with exactly <paramref name="lost"/> shards absent, chosen by <paramref name="random"/>.</summary>
    public static bool[] RandomPattern(int total, int lost, Random random)
    {
        var present = new bool[total];
        Array.Fill(present, true);
        var order = Enumerable.Range(0, total).ToArray();
        random.Shuffle(order);
        foreach (var i in order.AsSpan(0, lost))
        {
            present[i] = false;
        }

        return present;
    }

    public static void AssertShardsEqual(byte[][] expected, ReadOnlySpan<Memory<byte>> actual, int count)
    {
        for (var i = 0; i < count; i++)
        {
            Assert.True(expected[i].AsSpan().SequenceEqual(actual[i].Span), $"shard {i} differs");
        }
    }
}
