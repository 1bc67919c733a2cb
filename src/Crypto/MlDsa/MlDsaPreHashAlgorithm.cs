namespace Overlay.Crypto.MlDsa;

/// <summary>The hash functions HashML-DSA (FIPS 204 §5.4) can pre-hash a message with.</summary>
public enum MlDsaPreHashAlgorithm
{
    /// <summary>SHA-256 (FIPS 180-4), 32-byte digest.</summary>
    Sha2Bits256,

    /// <summary>SHA-384, 48-byte digest.</summary>
    Sha2Bits384,

    /// <summary>SHA-512, 64-byte digest.</summary>
    Sha2Bits512,

    /// <summary>SHA3-224 (FIPS 202), 28-byte digest.</summary>
    Sha3Bits224,

    /// <summary>SHA3-256, 32-byte digest.</summary>
    Sha3Bits256,

    /// <summary>SHA3-384, 48-byte digest.</summary>
    Sha3Bits384,

    /// <summary>SHA3-512, 64-byte digest.</summary>
    Sha3Bits512,

    /// <summary>SHAKE128 with a 32-byte output.</summary>
    Shake128,

    /// <summary>SHAKE256 with a 64-byte output.</summary>
    Shake256,

    /// <summary>SHA-224 (FIPS 180-4), 28-byte digest.</summary>
    Sha2Bits224,

    /// <summary>SHA-512/224, 28-byte digest.</summary>
    Sha2Bits512T224,

    /// <summary>SHA-512/256, 32-byte digest.</summary>
    Sha2Bits512T256,
}
