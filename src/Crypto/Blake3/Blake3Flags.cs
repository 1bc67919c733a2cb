namespace Overlay.Crypto;

/// <summary>Domain-separation flags of the BLAKE3 compression function (BLAKE3 spec, table 3).</summary>
[Flags]
internal enum Blake3Flags : uint
{
    None = 0,
    ChunkStart = 1 << 0,
    ChunkEnd = 1 << 1,
    Parent = 1 << 2,
    Root = 1 << 3,
    KeyedHash = 1 << 4,
    DeriveKeyContext = 1 << 5,
    DeriveKeyMaterial = 1 << 6,
}
