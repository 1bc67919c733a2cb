using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace Overlay.Crypto.MlDsa;

/// <summary>
/// ML-DSA.KeyGen_internal (FIPS 204 Algorithm 6) and what signing and verification need from encoded keys:
/// skDecode with its range check, the expansion of Â and of the secret vectors NTT(s1), NTT(s2), NTT(t0) (laid
/// out in that order), and t = Â·s1 + s2 for key generation and for checking a private key against its public key.
/// </summary>
[SkipLocalsInit]
internal static class MlDsaKeys
{
    private const int N = MlDsaParameters.N;

    /// <summary>Bytes of ρ ‖ K ‖ tr kept beside the expanded polynomials.</summary>
    public const int SeedMaterialBytes = 32 + 32 + 64;

    /// <summary>Ints of a fully expanded key: Â, then the secret vectors.</summary>
    public static int ExpandedLength(MlDsaParameters p) => MatrixLength(p) + SecretVectorsLength(p);

    /// <summary>Ints of Â: k·l polynomials.</summary>
    public static int MatrixLength(MlDsaParameters p) => p.K * p.L * N;

    /// <summary>Ints of NTT(s1) ‖ NTT(s2) ‖ NTT(t0): l + 2k polynomials.</summary>
    public static int SecretVectorsLength(MlDsaParameters p) => (p.L + (2 * p.K)) * N;

    /// <summary>ML-DSA.KeyGen_internal (Algorithm 6) from the 32-byte seed ξ.</summary>
    public static void GenerateKey(MlDsaParameters p, ReadOnlySpan<byte> xi, Span<byte> publicKey, Span<byte> privateKey)
    {
        int k = p.K, l = p.L;
        Span<byte> seedInput = stackalloc byte[34];
        Span<byte> expanded = stackalloc byte[128];
        xi.CopyTo(seedInput);
        seedInput[32] = (byte)k;
        seedInput[33] = (byte)l;
        Shake.Shake256(seedInput, expanded);
        ReadOnlySpan<byte> rho = expanded.Slice(0, 32);
        ReadOnlySpan<byte> rhoPrime = expanded.Slice(32, 64);
        ReadOnlySpan<byte> key = expanded.Slice(96, 32);

        Span<int> s1 = stackalloc int[l * N];
        Span<int> s2 = stackalloc int[k * N];
        Span<int> s1Hat = stackalloc int[l * N];
        Span<int> t = stackalloc int[k * N];
        Span<int> t0 = stackalloc int[k * N];
        Span<int> matrix = stackalloc int[8 * N];
        try
        {
            for (var r = 0; r < l; r++)
            {
                Sampling.RejectBounded(rhoPrime, (ushort)r, p.Eta, s1.Slice(r * N, N));
            }

            for (var r = 0; r < k; r++)
            {
                Sampling.RejectBounded(rhoPrime, (ushort)(l + r), p.Eta, s2.Slice(r * N, N));
            }

            ComputeT(p, rho, s1, s2, s1Hat, t, t0, matrix);
            PackPublicKey(p, rho, t, publicKey);

            rho.CopyTo(privateKey);
            key.CopyTo(privateKey.Slice(32));
            Shake.Shake256(publicKey.Slice(0, p.PublicKeySize), privateKey.Slice(64, 64));
            var offset = 128;
            for (var j = 0; j < l; j++, offset += p.PolyEtaBytes)
            {
                Packing.PackOffset(s1.Slice(j * N, N), p.EtaBits, p.Eta, privateKey.Slice(offset, p.PolyEtaBytes));
            }

            for (var i = 0; i < k; i++, offset += p.PolyEtaBytes)
            {
                Packing.PackOffset(s2.Slice(i * N, N), p.EtaBits, p.Eta, privateKey.Slice(offset, p.PolyEtaBytes));
            }

            for (var i = 0; i < k; i++, offset += MlDsaParameters.PolyT0Bytes)
            {
                Packing.PackOffset(t0.Slice(i * N, N), MlDsaParameters.D, 1 << (MlDsaParameters.D - 1), privateKey.Slice(offset, MlDsaParameters.PolyT0Bytes));
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(expanded);
            CryptographicOperations.ZeroMemory(seedInput);
            SecretWipe.Ints(s1);
            SecretWipe.Ints(s2);
            SecretWipe.Ints(s1Hat);
            SecretWipe.Ints(t);
            SecretWipe.Ints(t0);
        }
    }

    /// <summary>t = NTT^-1(Â ∘ NTT(s1)) + s2, split by Power2Round into t (now t1) and t0 (Algorithm 6 lines 5–6).</summary>
    private static void ComputeT(MlDsaParameters p, ReadOnlySpan<byte> rho, ReadOnlySpan<int> s1, ReadOnlySpan<int> s2, Span<int> s1Hat, Span<int> t, Span<int> t0, Span<int> matrix)
    {
        s1.CopyTo(s1Hat);
        for (var j = 0; j < p.L; j++)
        {
            PolyMath.Ntt(s1Hat.Slice(j * N, N));
        }

        MultiplyByMatrix(p, rho, s1Hat, t, matrix);
        for (var i = 0; i < p.K; i++)
        {
            var ti = t.Slice(i * N, N);
            PolyMath.Reduce(ti);
            PolyMath.InvNttToMont(ti);
        }

        PolyMath.Add(t, s2);
        PolyMath.CAddQ(t);
        PolyMath.Power2Round(t, t0, t);
    }

    /// <summary>pkEncode (Algorithm 22): ρ ‖ t1 in 10-bit fields.</summary>
    private static void PackPublicKey(MlDsaParameters p, ReadOnlySpan<byte> rho, ReadOnlySpan<int> t1, Span<byte> publicKey)
    {
        rho.CopyTo(publicKey);
        for (var i = 0; i < p.K; i++)
        {
            Packing.PackSimple(t1.Slice(i * N, N), 10, publicKey.Slice(32 + (i * MlDsaParameters.PolyT1Bytes), MlDsaParameters.PolyT1Bytes));
        }
    }

    /// <summary>The public key of an encoded private key, whose s1 and s2 are already known to be in range.</summary>
    public static void RecomputePublicKey(MlDsaParameters p, ReadOnlySpan<byte> privateKey, Span<byte> publicKey)
    {
        int k = p.K, l = p.L;
        Span<int> s1 = stackalloc int[l * N];
        Span<int> s2 = stackalloc int[k * N];
        Span<int> s1Hat = stackalloc int[l * N];
        Span<int> t = stackalloc int[k * N];
        Span<int> t0 = stackalloc int[k * N];
        Span<int> matrix = stackalloc int[8 * N];
        try
        {
            var offset = SeedMaterialBytes;
            for (var j = 0; j < l; j++, offset += p.PolyEtaBytes)
            {
                Packing.UnpackOffset(privateKey.Slice(offset, p.PolyEtaBytes), p.EtaBits, p.Eta, s1.Slice(j * N, N));
            }

            for (var i = 0; i < k; i++, offset += p.PolyEtaBytes)
            {
                Packing.UnpackOffset(privateKey.Slice(offset, p.PolyEtaBytes), p.EtaBits, p.Eta, s2.Slice(i * N, N));
            }

            ComputeT(p, privateKey.Slice(0, 32), s1, s2, s1Hat, t, t0, matrix);
            PackPublicKey(p, privateKey.Slice(0, 32), t, publicKey);
        }
        finally
        {
            SecretWipe.Ints(s1);
            SecretWipe.Ints(s2);
            SecretWipe.Ints(s1Hat);
            SecretWipe.Ints(t0);
        }
    }

    /// <summary>
    /// result_i = Σ_j Â[i][j] ∘ v_j, sampling Â eight entries at a time into <paramref name="scratch"/> (8 polys)
    /// instead of holding the whole matrix.
    /// </summary>
    public static void MultiplyByMatrix(MlDsaParameters p, ReadOnlySpan<byte> rho, ReadOnlySpan<int> v, Span<int> result, Span<int> scratch)
    {
        var total = p.K * p.L;
        result.Slice(0, p.K * N).Clear();
        for (var first = 0; first < total; first += 8)
        {
            var count = Math.Min(8, total - first);
            Sampling.ExpandA(rho, p.L, first, count, scratch);
            for (var n = 0; n < count; n++)
            {
                var index = first + n;
                var i = index / p.L;
                var j = index % p.L;
                PolyMath.PointwiseAccumulate(result.Slice(i * N, N), scratch.Slice(n * N, N), v.Slice(j * N, N));
            }
        }
    }

    /// <summary>
    /// skDecode (Algorithm 25) followed by the precomputation Sign_internal needs: Â, NTT(s1), NTT(s2), NTT(t0)
    /// in <paramref name="expanded"/> (<see cref="ExpandedLength"/> ints) and ρ ‖ K ‖ tr in <paramref name="seedMaterial"/>.
    /// False when an s1/s2 coefficient lies outside [-η, η], which no key from KeyGen has.
    /// </summary>
    public static bool TryExpandPrivateKey(MlDsaParameters p, ReadOnlySpan<byte> privateKey, Span<int> expanded, Span<byte> seedMaterial)
    {
        privateKey.Slice(0, SeedMaterialBytes).CopyTo(seedMaterial);
        var valid = TryExpandSecretVectors(p, privateKey, expanded.Slice(MatrixLength(p), SecretVectorsLength(p)));
        Sampling.ExpandA(privateKey.Slice(0, 32), p.L, 0, p.K * p.L, expanded);
        return valid;
    }

    /// <summary>
    /// Unpacks s1, s2 and t0 from an encoded private key into <paramref name="secrets"/>
    /// (<see cref="SecretVectorsLength"/> ints) and transforms them to the NTT domain. False when an s1/s2
    /// coefficient lies outside [-η, η]; the vectors are written either way and the caller wipes them.
    /// </summary>
    public static bool TryExpandSecretVectors(MlDsaParameters p, ReadOnlySpan<byte> privateKey, Span<int> secrets)
    {
        int k = p.K, l = p.L;
        var s1 = secrets.Slice(0, l * N);
        var s2 = secrets.Slice(l * N, k * N);
        var t0 = secrets.Slice((l + k) * N, k * N);
        var offset = SeedMaterialBytes;
        for (var j = 0; j < l; j++, offset += p.PolyEtaBytes)
        {
            Packing.UnpackOffset(privateKey.Slice(offset, p.PolyEtaBytes), p.EtaBits, p.Eta, s1.Slice(j * N, N));
        }

        for (var i = 0; i < k; i++, offset += p.PolyEtaBytes)
        {
            Packing.UnpackOffset(privateKey.Slice(offset, p.PolyEtaBytes), p.EtaBits, p.Eta, s2.Slice(i * N, N));
        }

        for (var i = 0; i < k; i++, offset += MlDsaParameters.PolyT0Bytes)
        {
            Packing.UnpackOffset(privateKey.Slice(offset, MlDsaParameters.PolyT0Bytes), MlDsaParameters.D, 1 << (MlDsaParameters.D - 1), t0.Slice(i * N, N));
        }

        // Both checks run in full whatever the outcome, so the time does not depend on where a bad value is.
        var invalid = PolyMath.ExceedsNorm(s1, p.Eta + 1) | PolyMath.ExceedsNorm(s2, p.Eta + 1);
        for (var i = 0; i < l + (2 * k); i++)
        {
            PolyMath.Ntt(secrets.Slice(i * N, N));
        }

        return !invalid;
    }

    /// <summary>
    /// True when every s1/s2 coefficient of an encoded private key lies in [-η, η]. Unpacks one polynomial at a
    /// time into a wiped stack buffer and checks them all, so the time does not depend on where a bad value is.
    /// </summary>
    public static bool SecretsInRange(MlDsaParameters p, ReadOnlySpan<byte> privateKey)
    {
        Span<int> poly = stackalloc int[N];
        var invalid = false;
        var offset = SeedMaterialBytes;
        for (var i = 0; i < p.L + p.K; i++, offset += p.PolyEtaBytes)
        {
            Packing.UnpackOffset(privateKey.Slice(offset, p.PolyEtaBytes), p.EtaBits, p.Eta, poly);
            invalid |= PolyMath.ExceedsNorm(poly, p.Eta + 1);
        }

        SecretWipe.Ints(poly);
        return !invalid;
    }

    /// <summary>tr = H(pk, 64).</summary>
    public static void HashPublicKey(ReadOnlySpan<byte> publicKey, Span<byte> tr) => Shake.Shake256(publicKey, tr.Slice(0, 64));
}
