using System.Text.Json;
using System.Text.Json.Serialization;

namespace Overlay.Testing;

/// <summary>
/// The official BLAKE3 known-answer file (<c>blake3/test_vectors.json</c>): 35 input lengths, each with
/// 131 bytes of extended output in the hash, keyed-hash and derive-key modes.
/// </summary>
public sealed class Blake3Vectors
{
    private static readonly Lazy<Blake3Vectors> Loaded = new(Load);

    [JsonConstructor]
    public Blake3Vectors(string key, string contextString, IReadOnlyList<Blake3VectorCase> cases)
    {
        Key = key;
        ContextString = contextString;
        Cases = cases;
    }

    /// <summary>The file, read once per test run.</summary>
    public static Blake3Vectors Official => Loaded.Value;

    /// <summary>The 32 ASCII bytes of the keyed-hash key.</summary>
    [JsonPropertyName("key")]
    public string Key { get; }

    /// <summary>The derive-key context string.</summary>
    [JsonPropertyName("context_string")]
    public string ContextString { get; }

    [JsonPropertyName("cases")]
    public IReadOnlyList<Blake3VectorCase> Cases { get; }

    /// <summary>The input lengths of every case, in file order.</summary>
    public static int[] Lengths() => [.. Official.Cases.Select(c => c.InputLength)];

    /// <summary>The case for <paramref name="inputLength"/>.</summary>
    public static Blake3VectorCase Case(int inputLength) => Official.Cases.Single(c => c.InputLength == inputLength);

    /// <summary>The vectors' input pattern: byte i = i mod 251.</summary>
    public static byte[] Input(int length)
    {
        var input = new byte[length];
        for (var i = 0; i < length; i++)
        {
            input[i] = (byte)(i % 251);
        }

        return input;
    }

    private static Blake3Vectors Load()
    {
        using var stream = File.OpenRead(TestData.PathOf("blake3/test_vectors.json"));
        return JsonSerializer.Deserialize<Blake3Vectors>(stream)
            ?? throw new InvalidDataException("blake3/test_vectors.json is empty.");
    }
}
