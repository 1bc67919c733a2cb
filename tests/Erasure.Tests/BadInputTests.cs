namespace Overlay.Erasure.Tests;

/// <summary>Parameters and shards the codec cannot work with get a typed error and change nothing.</summary>
public sealed class BadInputTests
{
    [Theory]
    [InlineData(0, 4, ErasureError.InvalidDataShardCount)]
    [InlineData(-1, 4, ErasureError.InvalidDataShardCount)]
    [InlineData(10, 0, ErasureError.InvalidParityShardCount)]
    [InlineData(10, -3, ErasureError.InvalidParityShardCount)]
    [InlineData(200, 57, ErasureError.TooManyShards)]
    [InlineData(256, 1, ErasureError.TooManyShards)]
    [InlineData(1, 256, ErasureError.TooManyShards)]
    [InlineData(int.MaxValue, int.MaxValue, ErasureError.TooManyShards)]
    public void Constructor_InvalidParameters_ThrowsTheirError(int k, int m, ErasureError expected)
    {
        var thrown = Assert.Throws<ErasureCodingException>(() => new ReedSolomonCodec(k, m));
        Assert.Equal(expected, thrown.Error);
        Assert.Equal(expected, ReedSolomonCodec.Validate(k, m));
        Assert.False(ReedSolomonCodec.TryCreate(k, m, out var codec, out var error));
        Assert.Null(codec);
        Assert.Equal(expected, error);
    }

    [Fact]
    public void Encode_ContiguousLengthsThatDoNotFit_ThrowTypedErrors()
    {
        var codec = new ReedSolomonCodec(4, 2);
        Assert.Equal(ErasureError.ShardLengthMismatch, Assert.Throws<ErasureCodingException>(() => codec.Encode(new byte[41], new byte[20])).Error);
        Assert.Equal(ErasureError.ShardLengthMismatch, Assert.Throws<ErasureCodingException>(() => codec.Encode(new byte[40], new byte[21])).Error);
        Assert.Equal(ErasureError.ShardLengthMismatch, Assert.Throws<ErasureCodingException>(() => codec.Encode(new byte[3], Array.Empty<byte>())).Error);
        Assert.Equal(ErasureError.EmptyShards, Assert.Throws<ErasureCodingException>(() => codec.Encode([], [])).Error);
    }

    [Fact]
    public void Encode_ShardsThatDoNotFit_ThrowTypedErrors()
    {
        var codec = new ReedSolomonCodec(4, 2);
        Assert.Equal(ErasureError.ShardCountMismatch, Assert.Throws<ErasureCodingException>(() => codec.Encode(Shards(5, 10))).Error);
        Assert.Equal(ErasureError.ShardCountMismatch, Assert.Throws<ErasureCodingException>(() => codec.Encode(Shards(7, 10))).Error);
        var uneven = Shards(6, 10);
        uneven[5] = new byte[11];
        Assert.Equal(ErasureError.ShardLengthMismatch, Assert.Throws<ErasureCodingException>(() => codec.Encode(uneven)).Error);
        Assert.Equal(ErasureError.EmptyShards, Assert.Throws<ErasureCodingException>(() => codec.Encode(Shards(6, 0))).Error);
    }

    [Fact]
    public void TryReconstruct_ShapesThatDoNotFit_ReturnTheirErrorAndWriteNothing()
    {
        var codec = new ReedSolomonCodec(4, 2);
        var random = new Random(41);
        var shards = Stripes.Encoded(codec, 50, random);
        bool[] present = [false, true, true, true, true, false];

        Expect(ErasureError.ShardCountMismatch, shards.AsSpan(0, 5).ToArray(), present.AsSpan(0, 5).ToArray());
        Expect(ErasureError.ShardCountMismatch, shards, [.. present, true]);
        Expect(ErasureError.TooFewShards, shards, [false, true, true, true, false, false]);
        Expect(ErasureError.TooFewShards, shards, new bool[6]);

        var shortPresent = (Memory<byte>[])shards.Clone();
        shortPresent[2] = shortPresent[2][..49];
        Expect(ErasureError.ShardLengthMismatch, shortPresent, present);

        var shortOutput = (Memory<byte>[])shards.Clone();
        shortOutput[0] = new byte[49];
        Expect(ErasureError.ShardLengthMismatch, shortOutput, present);

        // Data-only rebuilds write no parity, so only the parity buffers may be left empty.
        var emptyParity = (Memory<byte>[])shards.Clone();
        emptyParity[5] = Memory<byte>.Empty;
        Expect(ErasureError.ShardLengthMismatch, emptyParity, present);
        Assert.True(codec.TryReconstructData(emptyParity, present, out _));

        Expect(ErasureError.EmptyShards, Shards(6, 0), present);

        void Expect(ErasureError expected, Memory<byte>[] given, bool[] flags)
        {
            var before = Stripes.Copy(given);
            Assert.False(codec.TryReconstruct(given, flags, out var error));
            Assert.Equal(expected, error);
            Stripes.AssertShardsEqual(before, given, given.Length);
        }
    }

    [Fact]
    public void TryVerify_ShapesThatDoNotFit_ReturnTheirError()
    {
        var codec = new ReedSolomonCodec(3, 3);
        Assert.False(codec.TryVerify(Shards(5, 8), out var error));
        Assert.Equal(ErasureError.ShardCountMismatch, error);
        var uneven = Shards(6, 8);
        uneven[0] = new byte[7];
        Assert.False(codec.TryVerify(uneven, out error));
        Assert.Equal(ErasureError.ShardLengthMismatch, error);
        Assert.False(codec.TryVerify(Shards(6, 0), out error));
        Assert.Equal(ErasureError.EmptyShards, error);
    }

    [Fact]
    public void TryReconstruct_SeededRandomDamage_NeverThrowsAndNeverReturnsWrongData()
    {
        // Shards truncated, extended, dropped or added, present shards dropped: every call either
        // rebuilds the true stripe or refuses with a named error, leaving the buffers as they were.
        var random = new Random(42);
        var outcomes = new Dictionary<ErasureError, int>();
        for (var trial = 0; trial < 3000; trial++)
        {
            var k = random.Next(1, 9);
            var m = random.Next(1, 9);
            var codec = new ReedSolomonCodec(k, m);
            var length = random.Next(1, 300);
            var shards = Stripes.Encoded(codec, length, random).ToList();
            var original = Stripes.Copy(shards.ToArray());
            var present = Stripes.RandomPattern(k + m, random.Next(0, m + 3 > k + m ? k + m : m + 3), random).ToList();
            for (var i = 0; i < shards.Count; i++)
            {
                if (!present[i])
                {
                    random.NextBytes(shards[i].Span);
                }
            }

            switch (random.Next(6))
            {
                case 0:
                    var cut = random.Next(shards.Count);
                    shards[cut] = shards[cut][..random.Next(length)];
                    break;
                case 1:
                    var grown = random.Next(shards.Count);
                    shards[grown] = new byte[length + random.Next(1, 5)];
                    break;
                case 2:
                    shards.RemoveAt(random.Next(shards.Count));
                    break;
                case 3:
                    present.Add(true);
                    break;
                case 4:
                    // A present shard dropped (marking an absent one present would hand the codec noise
                    // as a shard, which no code can tell from data without a hash).
                    present[random.Next(present.Count)] = false;
                    break;
            }

            var given = shards.ToArray();
            var before = Stripes.Copy(given);
            var trueShards = given.Length == k + m && present.Count == k + m
                && Enumerable.Range(0, k + m).All(i => !present[i] || given[i].Span.SequenceEqual(original[i]));
            var rebuilt = codec.TryReconstruct(given, present.ToArray(), out var error);
            outcomes[error] = outcomes.GetValueOrDefault(error) + 1;
            if (rebuilt)
            {
                Assert.Equal(ErasureError.None, error);
                Assert.True(trueShards, $"trial {trial}: rebuilt from shards that were not the stripe's");
                Stripes.AssertShardsEqual(original, given, k + m);
            }
            else
            {
                Assert.True(Enum.IsDefined(error) && error != ErasureError.None, $"trial {trial}: {error}");
                Stripes.AssertShardsEqual(before, given, given.Length);
            }
        }

        // The damage reached every check, not only the happy path.
        foreach (var expected in new[] { ErasureError.None, ErasureError.ShardCountMismatch, ErasureError.ShardLengthMismatch, ErasureError.TooFewShards })
        {
            Assert.True(outcomes.GetValueOrDefault(expected) > 50, $"{expected} seen {outcomes.GetValueOrDefault(expected)} times");
        }
    }

    private static Memory<byte>[] Shards(int count, int length)
    {
        var shards = new Memory<byte>[count];
        for (var i = 0; i < count; i++)
        {
            shards[i] = new byte[length];
        }

        return shards;
    }
}
