using System.Text.Json;
using Overlay.Crypto;
using Overlay.Testing;

namespace Overlay.Crypto.Tests.Blake3Tests;

public sealed class Blake3VectorTests
{
    private static readonly Lazy<VectorFile> Vectors = new(() =>
    {
        using var stream = File.OpenRead(TestData.PathOf("blake3/test_vectors.json"));
        return JsonSerializer.Deserialize<VectorFile>(stream, new JsonSerializerOptions { PropertyNameCaseInsensitive = true })!;
    });

    public static TheoryData<Blake3Implementation, int> PathsAndLengths()
    {
        var data = new TheoryData<Blake3Implementation, int>();
        foreach (var implementation in Blake3Paths.All)
        {
            foreach (var c in Vectors.Value.Cases)
            {
                data.Add(implementation, c.Input_Len);
            }
        }

        return data;
    }

    [Fact]
    public void VectorFile_HasAllOfficialCases()
    {
        Assert.Equal(35, Vectors.Value.Cases.Length);
        Assert.All(Vectors.Value.Cases, c => Assert.Equal(262, c.Hash.Length));
    }

    [Theory]
    [MemberData(nameof(PathsAndLengths))]
    public void OneShot_AllModes_MatchOfficialVectors(Blake3Implementation implementation, int inputLength)
    {
        Blake3Paths.SkipUnlessSupported(implementation);
        var (vectors, c, input, key) = Case(inputLength);

        var actual = new byte[Hex.Decode(c.Hash).Length];
        Overlay.Crypto.Blake3.Hash(input, actual, implementation);
        Assert.Equal(c.Hash, Hex.Encode(actual));

        Overlay.Crypto.Blake3.KeyedHash(key, input, actual, implementation);
        Assert.Equal(c.Keyed_Hash, Hex.Encode(actual));

        Overlay.Crypto.Blake3.DeriveKey(vectors.Context_String, input, actual, implementation);
        Assert.Equal(c.Derive_Key, Hex.Encode(actual));

        var shortOutput = new byte[Overlay.Crypto.Blake3.HashSize];
        Overlay.Crypto.Blake3.Hash(input, shortOutput, implementation);
        Assert.Equal(c.Hash[..64], Hex.Encode(shortOutput));
        Overlay.Crypto.Blake3.KeyedHash(key, input, shortOutput, implementation);
        Assert.Equal(c.Keyed_Hash[..64], Hex.Encode(shortOutput));
        Overlay.Crypto.Blake3.DeriveKey(vectors.Context_String, input, shortOutput, implementation);
        Assert.Equal(c.Derive_Key[..64], Hex.Encode(shortOutput));
    }

    [Theory]
    [MemberData(nameof(PathsAndLengths))]
    public void Hasher_AllModes_MatchOfficialVectors_WholeAndFromRandomOffsets(Blake3Implementation implementation, int inputLength)
    {
        Blake3Paths.SkipUnlessSupported(implementation);
        var (vectors, c, input, key) = Case(inputLength);
        var random = new Random(inputLength);
        var cases = new (Blake3Hasher Hasher, string Expected)[]
        {
            (Blake3Hasher.Create(implementation), c.Hash),
            (Blake3Hasher.CreateKeyed(key, implementation), c.Keyed_Hash),
            (Blake3Hasher.CreateDeriveKey(vectors.Context_String, implementation), c.Derive_Key),
        };

        foreach (var (hasher, expectedHex) in cases)
        {
            var expected = Hex.Decode(expectedHex);

            // Split at a random point so the hasher's buffered and many-chunk paths both run.
            var split = random.Next(input.Length + 1);
            hasher.Update(input.AsSpan(0, split));
            hasher.Update(input.AsSpan(split));

            var full = new byte[expected.Length];
            hasher.Finalize(full);
            Assert.Equal(expectedHex, Hex.Encode(full));

            for (var i = 0; i < 8; i++)
            {
                var offset = random.Next(expected.Length);
                var length = random.Next(expected.Length - offset + 1);
                var part = new byte[length];
                hasher.Finalize((ulong)offset, part);
                Assert.Equal(Hex.Encode(expected.AsSpan(offset, length)), Hex.Encode(part));
            }

            // Reset forgets the input but keeps the mode and key.
            hasher.Reset();
            hasher.Update(input);
            hasher.Finalize(full);
            Assert.Equal(expectedHex, Hex.Encode(full));
        }
    }

    [Theory]
    [MemberData(nameof(Blake3Paths.Each), MemberType = typeof(Blake3Paths))]
    public void Xof_ReadFromRandomOffsets_MatchesSliceOfOneLongOutput(Blake3Implementation implementation)
    {
        Blake3Paths.SkipUnlessSupported(implementation);
        var random = new Random(11);
        foreach (var inputLength in new[] { 0, 65, 1024, 5000, 102400 })
        {
            var input = Blake3Paths.PatternInput(inputLength);
            var longOutput = new byte[4096 + 17];
            Overlay.Crypto.Blake3.Hash(input, longOutput, implementation);

            var hasher = Blake3Hasher.Create(implementation);
            hasher.Update(input);
            for (var i = 0; i < 40; i++)
            {
                var offset = random.Next(longOutput.Length);
                var length = random.Next(Math.Min(300, longOutput.Length - offset) + 1);
                var part = new byte[length];
                hasher.Finalize((ulong)offset, part);
                Assert.True(longOutput.AsSpan(offset, length).SequenceEqual(part), $"input {inputLength}, offset {offset}, length {length}");
            }
        }
    }

    private static (VectorFile Vectors, VectorCase Case, byte[] Input, byte[] Key) Case(int inputLength)
    {
        var vectors = Vectors.Value;
        var c = Array.Find(vectors.Cases, x => x.Input_Len == inputLength)!;
        return (vectors, c, Blake3Paths.PatternInput(inputLength), System.Text.Encoding.ASCII.GetBytes(vectors.Key));
    }

    private sealed record VectorFile(string Key, string Context_String, VectorCase[] Cases);

    private sealed record VectorCase(int Input_Len, string Hash, string Keyed_Hash, string Derive_Key);
}
