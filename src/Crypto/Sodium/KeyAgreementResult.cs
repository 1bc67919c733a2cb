namespace Overlay.Crypto.Sodium;

/// <summary>Outcome of an X25519 key agreement.</summary>
public enum KeyAgreementResult
{
    /// <summary>The shared secret was written.</summary>
    Success = 0,

    /// <summary>The peer's public key is not 32 bytes.</summary>
    InvalidPublicKeyLength,

    /// <summary>
    /// The shared secret is all zeros: the peer sent a low-order point, which would let it force a known
    /// secret (RFC 7748 §6.1). Nothing usable was written.
    /// </summary>
    ZeroSharedSecret,
}
