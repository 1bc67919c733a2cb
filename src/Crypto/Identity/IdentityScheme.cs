namespace Overlay.Crypto;

/// <summary>
/// The signature scheme of a node identity. Its value is the first byte of every encoded identity
/// public key and every identity signature, and it alone selects the layout of the bytes after it.
/// </summary>
/// <remarks>
/// Zero is never a scheme, so a zero-filled buffer never decodes. A hybrid Ed25519 + ML-DSA-65 scheme is
/// meant to take the next value, 2, with the layout [2][32-byte Ed25519 key][1952-byte ML-DSA-65 key]
/// and signatures [2][64-byte Ed25519 signature][3309-byte ML-DSA-65 signature], both halves required.
/// </remarks>
public enum IdentityScheme : byte
{
    /// <summary>Ed25519: key [1][32 bytes], signature [1][64 bytes].</summary>
    Ed25519 = 1,
}
