using System.Security.Cryptography;

namespace Overlay.Crypto.MlDsa;

/// <summary>PH(M) and the DER-encoded hash OID that HashML-DSA (FIPS 204 Algorithm 4) puts in M'.</summary>
internal static class PreHash
{
    public const int MaxDigestBytes = 64;
    public const int OidBytes = 11;

    /// <summary>Writes the OID (06 09 60 86 48 01 65 03 04 02 xx) and PH(message); returns the digest length.</summary>
    public static int Compute(MlDsaPreHashAlgorithm algorithm, ReadOnlySpan<byte> message, Span<byte> oid, Span<byte> digest)
    {
        ReadOnlySpan<byte> nistHashAlgorithms = [0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02];
        nistHashAlgorithms.CopyTo(oid);
        switch (algorithm)
        {
            case MlDsaPreHashAlgorithm.Sha2Bits256:
                oid[10] = 0x01;
                return SHA256.HashData(message, digest);
            case MlDsaPreHashAlgorithm.Sha2Bits384:
                oid[10] = 0x02;
                return SHA384.HashData(message, digest);
            case MlDsaPreHashAlgorithm.Sha2Bits512:
                oid[10] = 0x03;
                return SHA512.HashData(message, digest);
            case MlDsaPreHashAlgorithm.Sha3Bits224:
                oid[10] = 0x07;
                return Sha3(28, message, digest);
            case MlDsaPreHashAlgorithm.Sha3Bits256:
                oid[10] = 0x08;
                return Sha3(32, message, digest);
            case MlDsaPreHashAlgorithm.Sha3Bits384:
                oid[10] = 0x09;
                return Sha3(48, message, digest);
            case MlDsaPreHashAlgorithm.Sha3Bits512:
                oid[10] = 0x0A;
                return Sha3(64, message, digest);
            case MlDsaPreHashAlgorithm.Shake128:
                oid[10] = 0x0B;
                var shake128 = Shake.Create128();
                shake128.Absorb(message);
                shake128.Squeeze(digest.Slice(0, 32));
                return 32;
            case MlDsaPreHashAlgorithm.Shake256:
                oid[10] = 0x0C;
                Shake.Shake256(message, digest.Slice(0, 64));
                return 64;
            case MlDsaPreHashAlgorithm.Sha2Bits224:
                oid[10] = 0x04;
                return Sha2.Sha224(message, digest);
            case MlDsaPreHashAlgorithm.Sha2Bits512T224:
                oid[10] = 0x05;
                return Sha2.Sha512T(28, message, digest);
            case MlDsaPreHashAlgorithm.Sha2Bits512T256:
                oid[10] = 0x06;
                return Sha2.Sha512T(32, message, digest);
            default:
                throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "Unknown pre-hash algorithm.");
        }
    }

    private static int Sha3(int digestBytes, ReadOnlySpan<byte> message, Span<byte> digest)
    {
        // SHA3's domain suffix is 01, then pad10*1 (FIPS 202 §6.1).
        var sha3 = Shake.CreateSha3(digestBytes);
        sha3.Absorb(message);
        sha3.FinishAbsorb(0x06);
        sha3.Squeeze(digest.Slice(0, digestBytes));
        return digestBytes;
    }
}
