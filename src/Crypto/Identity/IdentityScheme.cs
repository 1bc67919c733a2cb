namespace Overlay.Crypto;

/// <summary>
/// The signature scheme of a node identity. Its value is the first byte of every encoded identity
/// public key and every identity signature, and it alone selects the layout of the bytes after it.
/// </summary>
/// <remarks>Zero is never a scheme, so a zero-filled buffer never decodes. See docs/PROTOCOL.md, "Identity encodings".</remarks>
public enum IdentityScheme : byte
{
    /// <summary>Ed25519 alone (identities created before the hybrid scheme): key [1][32 bytes], signature [1][64 bytes].</summary>
    Ed25519 = 1,

    /// <summary>
    /// Ed25519 and ML-DSA-65 together: key [2][32-byte Ed25519 key][1952-byte ML-DSA-65 key], signature
    /// [2][64-byte Ed25519 signature][3309-byte ML-DSA-65 signature]. A signature is valid only when both
    /// halves are, so forging one needs a break of both schemes. New identities use this scheme.
    /// </summary>
    HybridEd25519MlDsa65 = 2,
}
