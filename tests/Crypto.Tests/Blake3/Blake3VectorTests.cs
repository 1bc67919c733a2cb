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

    public static TheoryData<int> InputLengths()
    {
        var data = new TheoryData<int>();
        foreach (var c in Vectors.Value.Cases)
        {
            data.Add(c.Input_Len);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(InputLengths))]
    public void AllModes_MatchOfficialVectors_ForFullExtendedOutput(int inputLength)
    {
        var vectors = Vectors.Value;
        var c = Array.Find(vectors.Cases, x => x.Input_Len == inputLength)!;
        var input = Input(inputLength);
        var key = System.Text.Encoding.ASCII.GetBytes(vectors.Key);

        var expectedHash = Hex.Decode(c.Hash);
        var actual = new byte[expectedHash.Length];
        Overlay.Crypto.Blake3.Hash(input, actual);
        Assert.Equal(c.Hash, Hex.Encode(actual));

        Overlay.Crypto.Blake3.KeyedHash(key, input, actual);
        Assert.Equal(c.Keyed_Hash, Hex.Encode(actual));

        Overlay.Crypto.Blake3.DeriveKey(vectors.Context_String, input, actual);
        Assert.Equal(c.Derive_Key, Hex.Encode(actual));

        var shortOutput = new byte[Overlay.Crypto.Blake3.HashSize];
        Overlay.Crypto.Blake3.Hash(input, shortOutput);
        Assert.Equal(c.Hash[..64], Hex.Encode(shortOutput));
    }

    private static byte[] Input(int length)
    {
        var input = new byte[length];
        for (var i = 0; i < length; i++)
        {
            input[i] = (byte)(i % 251);
        }

        return input;
    }

    private sealed record VectorFile(string Key, string Context_String, VectorCase[] Cases);

    private sealed record VectorCase(int Input_Len, string Hash, string Keyed_Hash, string Derive_Key);
}
