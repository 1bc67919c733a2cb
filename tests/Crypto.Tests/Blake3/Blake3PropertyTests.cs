using Overlay.Crypto;

namespace Overlay.Crypto.Tests.Blake3Tests;

/// <summary>
/// Seeded random inputs: every path, every mode and every split of the input must give the bytes the
/// scalar one-shot gives (itself checked against the official vectors).
/// </summary>
public sealed class Blake3PropertyTests
{
    private static readonly byte[] Key = "0123456789abcdef0123456789ABCDEF"u8.ToArray();

    // Lengths where tree shape changes: block and chunk edges, powers of two, and the many-chunk
    // widths (4, 8, 16 chunks) and their multiples, each with its neighbours.
    private static int[] BoundaryLengths()
    {
        var lengths = new List<int> { 0, 1, 2, 31, 32, 33 };
        foreach (var anchor in new[] { 64, 128, 1024, 2048, 3072, 4096, 5 * 1024, 8192, 12 * 1024, 16384, 17 * 1024, 31 * 1024, 32768, 33 * 1024, 65536, 131072, 262144, 300 * 1024 })
        {
            lengths.Add(anchor - 1);
            lengths.Add(anchor);
            lengths.Add(anchor + 1);
        }

        return [.. lengths];
    }

    [Theory]
    [MemberData(nameof(Blake3Paths.Each), MemberType = typeof(Blake3Paths))]
    public void OneShot_OnEachPath_EqualsScalar_AtBoundaryAndRandomLengths(Blake3Implementation implementation)
    {
        Blake3Paths.SkipUnlessSupported(implementation);
        var random = new Random(1);
        var lengths = BoundaryLengths().Concat(Enumerable.Range(0, 30).Select(_ => random.Next(300 * 1024))).ToArray();
        foreach (var length in lengths)
        {
            var input = new byte[length];
            random.NextBytes(input);
            var outputLength = 1 + random.Next(200);
            var expected = new byte[outputLength];
            var actual = new byte[outputLength];

            Overlay.Crypto.Blake3.Hash(input, expected, Blake3Implementation.Scalar);
            Overlay.Crypto.Blake3.Hash(input, actual, implementation);
            Assert.True(expected.AsSpan().SequenceEqual(actual), $"hash, length {length}");

            Overlay.Crypto.Blake3.KeyedHash(Key, input, expected, Blake3Implementation.Scalar);
            Overlay.Crypto.Blake3.KeyedHash(Key, input, actual, implementation);
            Assert.True(expected.AsSpan().SequenceEqual(actual), $"keyed, length {length}");

            Overlay.Crypto.Blake3.DeriveKey("overlay test context", input, expected, Blake3Implementation.Scalar);
            Overlay.Crypto.Blake3.DeriveKey("overlay test context", input, actual, implementation);
            Assert.True(expected.AsSpan().SequenceEqual(actual), $"derive, length {length}");
        }
    }

    [Theory]
    [MemberData(nameof(Blake3Paths.Each), MemberType = typeof(Blake3Paths))]
    public void Hasher_RandomSplits_EqualOneShot(Blake3Implementation implementation)
    {
        Blake3Paths.SkipUnlessSupported(implementation);
        var random = new Random(2);
        var lengths = BoundaryLengths().Concat(Enumerable.Range(0, 20).Select(_ => random.Next(300 * 1024))).ToArray();
        foreach (var length in lengths)
        {
            var input = new byte[length];
            random.NextBytes(input);
            var mode = random.Next(3);
            var expected = new byte[Overlay.Crypto.Blake3.HashSize];
            var hasher = mode switch
            {
                0 => Blake3Hasher.Create(implementation),
                1 => Blake3Hasher.CreateKeyed(Key, implementation),
                _ => Blake3Hasher.CreateDeriveKey("overlay split context", implementation),
            };
            switch (mode)
            {
                case 0: Overlay.Crypto.Blake3.Hash(input, expected, implementation); break;
                case 1: Overlay.Crypto.Blake3.KeyedHash(Key, input, expected, implementation); break;
                default: Overlay.Crypto.Blake3.DeriveKey("overlay split context", input, expected, implementation); break;
            }

            // Cut points mix single bytes, odd sizes and large spans, so updates land on, before and
            // after chunk and subtree boundaries and exercise both the buffered and many-chunk paths.
            var position = 0;
            var pieces = new List<int>();
            while (position < length)
            {
                var take = random.Next(4) switch
                {
                    0 => 1 + random.Next(64),
                    1 => 1 + random.Next(2048),
                    2 => 1024 * (1 + random.Next(40)),
                    _ => 1 + random.Next(length - position),
                };
                take = Math.Min(take, length - position);
                hasher.Update(input.AsSpan(position, take));
                pieces.Add(take);
                position += take;
            }

            var actual = new byte[Overlay.Crypto.Blake3.HashSize];
            hasher.Finalize(actual);
            Assert.True(expected.AsSpan().SequenceEqual(actual), $"mode {mode}, length {length}, pieces {string.Join(',', pieces)}");
        }
    }

    [Theory]
    [MemberData(nameof(Blake3Paths.Each), MemberType = typeof(Blake3Paths))]
    public void Hasher_UpdatesOfWholeSubtrees_EqualOneShot(Blake3Implementation implementation)
    {
        Blake3Paths.SkipUnlessSupported(implementation);

        // Inputs that end exactly on a subtree edge, fed in power-of-two pieces: the last two stacked
        // chaining values must become the root in Finalize, not an ordinary parent.
        var random = new Random(3);
        foreach (var (pieceSize, pieceCount) in new[] { (1024, 2), (2048, 1), (4096, 3), (65536, 1), (65536, 2), (16384, 5), (1024, 33) })
        {
            var input = new byte[pieceSize * pieceCount];
            random.NextBytes(input);
            var hasher = Blake3Hasher.Create(implementation);
            for (var i = 0; i < pieceCount; i++)
            {
                hasher.Update(input.AsSpan(i * pieceSize, pieceSize));
            }

            var expected = new byte[64];
            var actual = new byte[64];
            Overlay.Crypto.Blake3.Hash(input, expected, Blake3Implementation.Scalar);
            hasher.Finalize(actual);
            Assert.True(expected.AsSpan().SequenceEqual(actual), $"{pieceCount} × {pieceSize}");
        }
    }

    [Theory]
    [MemberData(nameof(Blake3Paths.Each), MemberType = typeof(Blake3Paths))]
    public void HashParallel_EqualsOneShot(Blake3Implementation implementation)
    {
        Blake3Paths.SkipUnlessSupported(implementation);
        var random = new Random(4);
        foreach (var length in new[] { 0, 1000, 256 * 1024 - 1, 256 * 1024, 256 * 1024 + 1, 1 << 20, (3 << 20) + 12345, random.Next(1 << 22) })
        {
            var input = new byte[length];
            random.NextBytes(input);
            var expected = new byte[100];
            Overlay.Crypto.Blake3.Hash(input, expected, implementation);
            foreach (var threads in new[] { 1, 2, 3, 8, -1 })
            {
                var actual = new byte[100];
                Overlay.Crypto.Blake3.HashParallel(input, actual, threads, implementation);
                Assert.True(expected.AsSpan().SequenceEqual(actual), $"length {length}, threads {threads}");
            }
        }
    }

    [Fact]
    public void OneShot_DoesNotAllocate()
    {
        var input = new byte[1 << 20];
        var output = new byte[Overlay.Crypto.Blake3.HashSize];
        Overlay.Crypto.Blake3.Hash(input, output);
        Overlay.Crypto.Blake3.KeyedHash(Key, input, output);
        Overlay.Crypto.Blake3.DeriveKey("overlay test context", input, output);

        var before = GC.GetAllocatedBytesForCurrentThread();
        Overlay.Crypto.Blake3.Hash(input, output);
        Overlay.Crypto.Blake3.Hash(input.AsSpan(0, 64), output);
        Overlay.Crypto.Blake3.KeyedHash(Key, input, output);
        Overlay.Crypto.Blake3.DeriveKey("overlay test context", input, output);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void KeyedHash_WithWrongKeySize_ThrowsArgumentException()
    {
        var output = new byte[32];
        Assert.Throws<ArgumentException>("key", () => Overlay.Crypto.Blake3.KeyedHash(new byte[31], [1, 2, 3], output));
        Assert.Throws<ArgumentException>("key", () => Overlay.Crypto.Blake3.KeyedHash(new byte[33], [1, 2, 3], output));
        Assert.Throws<ArgumentException>("key", () => Blake3Hasher.CreateKeyed(new byte[16]));
        Assert.Throws<ArgumentException>("key", () => Blake3Hasher.CreateKeyed([]));
    }

    [Fact]
    public void HashParallel_WithZeroOrNegativeThreads_ThrowsArgumentOutOfRange()
    {
        var output = new byte[32];
        Assert.Throws<ArgumentOutOfRangeException>("maxDegreeOfParallelism", () => Overlay.Crypto.Blake3.HashParallel(new byte[10], output, 0));
        Assert.Throws<ArgumentOutOfRangeException>("maxDegreeOfParallelism", () => Overlay.Crypto.Blake3.HashParallel(new byte[10], output, -2));
    }

    [Fact]
    public void UnknownImplementation_ThrowsPlatformNotSupported()
    {
        var unknown = (Blake3Implementation)99;
        Assert.False(Overlay.Crypto.Blake3.IsSupported(unknown));
        Assert.Throws<PlatformNotSupportedException>(() => Overlay.Crypto.Blake3.Hash([1], new byte[32], unknown));
        Assert.Throws<PlatformNotSupportedException>(() => Blake3Hasher.Create(unknown));
    }

    [Fact]
    public void Best_IsSupported_AndUsedByDefault()
    {
        Assert.True(Overlay.Crypto.Blake3.IsSupported(Overlay.Crypto.Blake3.Best));
        Assert.Equal(Overlay.Crypto.Blake3.Best, Blake3Hasher.Create().Implementation);
    }
}
