using System.Text;
using Overlay.Testing;

namespace Overlay.Crypto.Tests.Blake3Tests;

/// <summary>
/// The keyed hash of one input under many keys at once must equal, key by key, what the package gives:
/// on the official vectors, and on seeded random inputs, prefixes and key counts chosen around the
/// places where BLAKE3's tree changes shape (blocks, chunks, subtrees) and where the lanes run out.
/// </summary>
public sealed class Blake3MultiKeyTests
{
    [Theory]
    [MemberData(nameof(Blake3VectorTests.Lengths), MemberType = typeof(Blake3VectorTests))]
    public void KeyedHashes_OfficialVectors_MatchEachLane(int inputLength)
    {
        var c = Blake3Vectors.Case(inputLength);
        var input = Blake3Vectors.Input(inputLength);
        var key = Encoding.ASCII.GetBytes(Blake3Vectors.Official.Key);

        // The official key in lanes 0, 5 and 15 among random keys; every lane must come out as hashed alone.
        var keys = new byte[16 * Blake3MultiKey.KeySize];
        new Random(inputLength).NextBytes(keys);
        foreach (var lane in new[] { 0, 5, 15 })
        {
            key.CopyTo(keys.AsSpan(lane * Blake3MultiKey.KeySize));
        }

        var hashes = new byte[keys.Length];
        Blake3MultiKey.KeyedHashes(keys, [], input, hashes);
        foreach (var lane in new[] { 0, 5, 15 })
        {
            Assert.Equal(c.KeyedHash[..(2 * Blake3MultiKey.KeySize)], Hex.Encode(hashes.AsSpan(lane * Blake3MultiKey.KeySize, Blake3MultiKey.KeySize)));
        }
    }

    [Fact]
    public void KeyedHashes_SeededInputsPrefixesAndKeyCounts_EqualTheKeyByKeyHash()
    {
        var random = new Random(19);
        var lengths = new List<int> { 0, 1, 63, 64, 65, 1023, 1024, 1025, 2048, 3071, 16 * 1024, (16 * 1024) + 1, (17 * 1024) - 51, 410 * 1024, (410 * 1024) + 1 };
        lengths.AddRange(Enumerable.Range(0, 25).Select(_ => random.Next(200 * 1024)));
        foreach (var length in lengths)
        {
            var prefix = new byte[random.Next(4) switch { 0 => 0, 1 => 51, 2 => random.Next(1, 64), _ => random.Next(1000, 2100) }];
            var input = new byte[length];
            random.NextBytes(prefix);
            random.NextBytes(input);
            var keyCount = random.Next(4) switch { 0 => 1, 1 => 16, 2 => 17, _ => random.Next(2, 40) };
            var keys = new byte[keyCount * Blake3MultiKey.KeySize];
            random.NextBytes(keys);

            var expected = new byte[keys.Length];
            Blake3MultiKey.KeyedHashes(keys, prefix, input, expected, vectorised: false);
            var actual = new byte[keys.Length];
            Blake3MultiKey.KeyedHashes(keys, prefix, input, actual);
            Assert.True(expected.AsSpan().SequenceEqual(actual), $"input {length} bytes, prefix {prefix.Length}, {keyCount} keys");

            // The key-by-key path is the package's keyed hash of the concatenation.
            var whole = prefix.Concat(input).ToArray();
            var single = new byte[Blake3MultiKey.KeySize];
            var hasher = Blake3Hasher.CreateKeyed(keys.AsSpan(0, Blake3MultiKey.KeySize));
            hasher.Update(whole);
            hasher.Finalize(single);
            Assert.Equal(single, expected[..Blake3MultiKey.KeySize]);
        }
    }

    [Fact]
    public void KeyedHashes_VectorisedPath_IsTakenWhereAvx512Is()
    {
        Assert.Equal(System.Runtime.Intrinsics.X86.Avx512F.IsSupported, Blake3MultiKey.IsAccelerated);
    }

    [Fact]
    public void KeyedHashes_KeysNotWholeOrHashesOfOtherLength_Throw()
    {
        Assert.Throws<ArgumentException>(() => Blake3MultiKey.KeyedHashes(new byte[33], [], [1], new byte[33]));
        Assert.Throws<ArgumentException>(() => Blake3MultiKey.KeyedHashes(new byte[64], [], [1], new byte[32]));
    }
}
