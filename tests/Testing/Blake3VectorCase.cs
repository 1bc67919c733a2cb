using System.Text.Json.Serialization;

namespace Overlay.Testing;

/// <summary>One case of the official BLAKE3 vectors: lowercase hex, 131 bytes of output per mode.</summary>
public sealed record Blake3VectorCase(
    [property: JsonPropertyName("input_len")] int InputLength,
    [property: JsonPropertyName("hash")] string Hash,
    [property: JsonPropertyName("keyed_hash")] string KeyedHash,
    [property: JsonPropertyName("derive_key")] string DeriveKey)
{
    /// <summary>Bytes of output each mode gives (the file's extended output).</summary>
    public const int OutputLength = 131;

    /// <summary>The default-length (32-byte) hash, as hex.</summary>
    public string Hash32 => Hash[..64];
}
