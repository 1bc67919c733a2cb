using Overlay.Testing;

namespace Overlay.Crypto.Tests.Blake3Tests;

/// <summary>
/// Every official BLAKE3 vector through the entry points the node calls: the one-shot hash (shard ids,
/// DHT keys, key-file checksums), derive-key (identity seeds), the keyed hash (placement draws), the
/// incremental hasher (shard puts and reads), the stream hasher (<c>overlay hash</c>) and PeerId derivation.
/// Any version of the package that changed one output byte fails here.
/// </summary>
public sealed class Blake3VectorTests
{
    public static TheoryData<int> Lengths() => new(Blake3Vectors.Lengths());

    [Fact]
    public void VectorFile_HasAllOfficialCases()
    {
        Assert.Equal(35, Blake3Vectors.Official.Cases.Count);
        Assert.All(Blake3Vectors.Official.Cases, c => Assert.Equal(2 * Blake3VectorCase.OutputLength, c.Hash.Length));
        Assert.Equal(102_400, Blake3Vectors.Official.Cases.Max(c => c.InputLength));
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Hash_ExtendedAndDefaultLength_MatchOfficialVectors(int inputLength)
    {
        var c = Blake3Vectors.Case(inputLength);
        var input = Blake3Vectors.Input(inputLength);

        var extended = new byte[Blake3VectorCase.OutputLength];
        Blake3.Hash(input, extended);
        Assert.Equal(c.Hash, Hex.Encode(extended));

        var standard = new byte[Blake3.HashSize];
        Blake3.Hash(input, standard);
        Assert.Equal(c.Hash32, Hex.Encode(standard));
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void DeriveKey_ExtendedAndDefaultLength_MatchOfficialVectors(int inputLength)
    {
        var c = Blake3Vectors.Case(inputLength);
        var input = Blake3Vectors.Input(inputLength);

        var extended = new byte[Blake3VectorCase.OutputLength];
        Blake3.DeriveKey(Blake3Vectors.Official.ContextString, input, extended);
        Assert.Equal(c.DeriveKey, Hex.Encode(extended));

        var standard = new byte[Blake3.HashSize];
        Blake3.DeriveKey(Blake3Vectors.Official.ContextString, input, standard);
        Assert.Equal(c.DeriveKey[..64], Hex.Encode(standard));
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Hasher_SplitAtRandomPoints_AndReused_MatchesOfficialVectors(int inputLength)
    {
        var c = Blake3Vectors.Case(inputLength);
        var input = Blake3Vectors.Input(inputLength);
        var random = new Random(inputLength);
        var hasher = Blake3Hasher.Create();
        var output = new byte[Blake3VectorCase.OutputLength];
        for (var round = 0; round < 3; round++)
        {
            // Reset keeps one hasher for many inputs, as the shard store's readers and writers do.
            hasher.Reset();
            var first = random.Next(input.Length + 1);
            var second = first + random.Next(input.Length - first + 1);
            hasher.Update(input.AsSpan(0, first));
            hasher.Update(input.AsSpan(first, second - first));
            hasher.Update(input.AsSpan(second));
            hasher.Finalize(output);
            Assert.Equal(c.Hash, Hex.Encode(output));
        }
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public async Task HashAsync_OfAStream_MatchesOfficialVectors(int inputLength)
    {
        var c = Blake3Vectors.Case(inputLength);
        var output = new byte[Blake3VectorCase.OutputLength];
        await Blake3File.HashAsync(new MemoryStream(Blake3Vectors.Input(inputLength), writable: false), output, TestContext.Current.CancellationToken);
        Assert.Equal(c.Hash, Hex.Encode(output));
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void PeerId_FromPublicKeyMaterial_IsTheOfficialDefaultLengthHash(int inputLength)
    {
        var c = Blake3Vectors.Case(inputLength);
        var id = PeerId.FromPublicKeyMaterial(Blake3Vectors.Input(inputLength));
        Assert.Equal(c.Hash32, Hex.Encode(id.ToArray()));
    }

    [Fact]
    public void KeyedHasher_OneHasherOverEveryInput_MatchesOfficialVectors()
    {
        // One hasher for every case, in turn, as placement reuses one per thread: each input is hashed alone.
        using var hasher = Blake3KeyedHasher.Create(System.Text.Encoding.ASCII.GetBytes(Blake3Vectors.Official.Key));
        foreach (var inputLength in Blake3Vectors.Lengths())
        {
            var c = Blake3Vectors.Case(inputLength);
            var extended = new byte[Blake3VectorCase.OutputLength];
            hasher.Hash(Blake3Vectors.Input(inputLength), extended);
            Assert.Equal(c.KeyedHash, Hex.Encode(extended));

            var standard = new byte[Blake3.HashSize];
            hasher.Hash(Blake3Vectors.Input(inputLength), standard);
            Assert.Equal(c.KeyedHash[..(2 * Blake3.HashSize)], Hex.Encode(standard));
        }
    }

    [Fact]
    public void KeyedHasher_KeyNotThirtyTwoBytesOrDisposed_Throws()
    {
        Assert.Throws<ArgumentException>(() => Blake3KeyedHasher.Create(new byte[31]));
        Assert.Throws<ArgumentException>(() => Blake3KeyedHasher.Create(new byte[33]));
        var hasher = Blake3KeyedHasher.Create(new byte[32]);
        hasher.Dispose();
        Assert.Throws<ObjectDisposedException>(() => hasher.Hash([1, 2, 3], new byte[8]));
    }

    /// <summary>The keyed mode is what shard audits answer with (Overlay.Node.Shards.ShardAudit).</summary>
    [Theory]
    [MemberData(nameof(Lengths))]
    public void KeyedHasher_MatchesOfficialVectors(int inputLength)
    {
        var c = Blake3Vectors.Case(inputLength);
        var hasher = Blake3Hasher.CreateKeyed(System.Text.Encoding.ASCII.GetBytes(Blake3Vectors.Official.Key));
        hasher.Update(Blake3Vectors.Input(inputLength));
        var output = new byte[Blake3VectorCase.OutputLength];
        hasher.Finalize(output);
        Assert.Equal(c.KeyedHash, Hex.Encode(output));
    }
}
