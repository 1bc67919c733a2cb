using System.Buffers;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace Overlay.Crypto.MlDsa;

/// <summary>
/// ML-DSA.KeyGen_internal, Sign_internal and Verify_internal (FIPS 204 Algorithms 6–8) on spans.
/// Signing works from the encoded private key and expands it for each signature: Â (k·l polys, sampled from
/// the public ρ) and the secret vectors NTT(s1) (l polys), NTT(s2) (k), NTT(t0) (k), laid out in that order.
/// </summary>
[SkipLocalsInit]
internal static class MlDsaCore
{
    private const int N = MlDsaParameters.N;
    private const int Q = MlDsaParameters.Q;

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
            ZeroInts(s1);
            ZeroInts(s2);
            ZeroInts(s1Hat);
            ZeroInts(t);
            ZeroInts(t0);
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
            ZeroInts(s1);
            ZeroInts(s2);
            ZeroInts(s1Hat);
            ZeroInts(t0);
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

        ZeroInts(poly);
        return !invalid;
    }

    /// <summary>
    /// Sign_internal (Algorithm 7) from μ and the encoded private key, which is expanded for this one signature:
    /// Â into a pooled array (it is public, derived from ρ, so it goes back unwiped) and the secret vectors on the
    /// stack, wiped before returning. False, without signing, when an s1/s2 coefficient is out of range.
    /// </summary>
    public static bool TrySign(MlDsaParameters p, ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> mu, ReadOnlySpan<byte> rnd, Span<byte> signature)
    {
        // Â is 30 KB for ML-DSA-65 and 56 KB for ML-DSA-87: too much to add to Sign's own stack frame.
        var matrix = ArrayPool<int>.Shared.Rent(MatrixLength(p));
        Span<int> secrets = stackalloc int[SecretVectorsLength(p)];
        try
        {
            if (!TryExpandSecretVectors(p, privateKey, secrets))
            {
                return false;
            }

            var aHat = matrix.AsSpan(0, MatrixLength(p));
            Sampling.ExpandA(privateKey.Slice(0, 32), p.L, 0, p.K * p.L, aHat);
            Sign(p, aHat, secrets, privateKey.Slice(32, 32), mu, rnd, signature);
            return true;
        }
        finally
        {
            ZeroInts(secrets);
            ArrayPool<int>.Shared.Return(matrix);
        }
    }

    /// <summary>μ = H(tr ‖ M', 64) where M' = header ‖ context ‖ oid ‖ message (Algorithm 7 line 6 with §5.2's M').</summary>
    public static void ComputeMu(ReadOnlySpan<byte> tr, ReadOnlySpan<byte> header, ReadOnlySpan<byte> context, ReadOnlySpan<byte> oid, ReadOnlySpan<byte> message, Span<byte> mu)
    {
        var shake = Shake.Create256();
        shake.Absorb(tr);
        shake.Absorb(header);
        shake.Absorb(context);
        shake.Absorb(oid);
        shake.Absorb(message);
        shake.Squeeze(mu.Slice(0, 64));
    }

    /// <summary>
    /// Sign_internal (Algorithm 7) from μ with an expanded key: <paramref name="aHat"/> is Â, <paramref name="secrets"/>
    /// is NTT(s1) ‖ NTT(s2) ‖ NTT(t0), <paramref name="key"/> the 32-byte K. Writes exactly <c>p.SignatureSize</c> bytes.
    /// </summary>
    public static void Sign(MlDsaParameters p, ReadOnlySpan<int> aHat, ReadOnlySpan<int> secrets, ReadOnlySpan<byte> key, ReadOnlySpan<byte> mu, ReadOnlySpan<byte> rnd, Span<byte> signature)
    {
        int k = p.K, l = p.L;
        var a = aHat.Slice(0, k * l * N);
        var s1Hat = secrets.Slice(0, l * N);
        var s2Hat = secrets.Slice(l * N, k * N);
        var t0Hat = secrets.Slice((l + k) * N, k * N);

        Span<byte> rhoSecond = stackalloc byte[64];
        var shake = Shake.Create256();
        shake.Absorb(key.Slice(0, 32));
        shake.Absorb(rnd);
        shake.Absorb(mu.Slice(0, 64));
        shake.Squeeze(rhoSecond);
        shake.Clear();

        Span<int> y = stackalloc int[l * N];
        Span<int> z = stackalloc int[l * N];
        Span<int> w0 = stackalloc int[k * N];
        Span<int> w1 = stackalloc int[k * N];
        Span<int> tmp = stackalloc int[k * N];
        Span<int> c = stackalloc int[N];
        Span<byte> w1Packed = stackalloc byte[k * p.PolyW1Bytes];
        Span<byte> cTilde = stackalloc byte[64];
        int gamma2 = p.Gamma2, beta = p.Beta;
        try
        {
            for (var kappa = 0; ; kappa += l)
            {
                // κ is encoded in two bytes (IntegerToBytes(κ + r, 2)); the loop ends long before it wraps.
                Sampling.ExpandMask(rhoSecond, kappa & 0xFFFF, p, y);

                // w = NTT^-1(Â ∘ NTT(y)); z holds NTT(y) for now.
                y.CopyTo(z);
                for (var j = 0; j < l; j++)
                {
                    PolyMath.Ntt(z.Slice(j * N, N));
                }

                w0.Clear();
                for (var i = 0; i < k; i++)
                {
                    var wi = w0.Slice(i * N, N);
                    for (var j = 0; j < l; j++)
                    {
                        PolyMath.PointwiseAccumulate(wi, a.Slice(((i * l) + j) * N, N), z.Slice(j * N, N));
                    }

                    PolyMath.Reduce(wi);
                    PolyMath.InvNttToMont(wi);
                    PolyMath.CAddQ(wi);
                }

                PolyMath.Decompose(w0, w1, gamma2);

                for (var i = 0; i < k; i++)
                {
                    Packing.PackSimple(w1.Slice(i * N, N), p.W1Bits, w1Packed.Slice(i * p.PolyW1Bytes, p.PolyW1Bytes));
                }

                shake = Shake.Create256();
                shake.Absorb(mu.Slice(0, 64));
                shake.Absorb(w1Packed);
                shake.Squeeze(cTilde.Slice(0, p.CTildeBytes));
                Sampling.SampleInBall(cTilde.Slice(0, p.CTildeBytes), p.Tau, c);
                PolyMath.Ntt(c);

                // z = y + NTT^-1(ĉ ∘ ŝ1)
                for (var j = 0; j < l; j++)
                {
                    var zj = z.Slice(j * N, N);
                    PolyMath.PointwiseMontgomery(zj, c, s1Hat.Slice(j * N, N));
                    PolyMath.InvNttToMont(zj);
                }

                PolyMath.Add(z, y);
                PolyMath.Reduce(z);
                if (PolyMath.ExceedsNorm(z, p.Gamma1 - beta))
                {
                    continue;
                }

                // r0 = LowBits(w - cs2) = w0 - cs2, valid once its norm is below γ2 - β.
                for (var i = 0; i < k; i++)
                {
                    var ti = tmp.Slice(i * N, N);
                    PolyMath.PointwiseMontgomery(ti, c, s2Hat.Slice(i * N, N));
                    PolyMath.InvNttToMont(ti);
                }

                PolyMath.Subtract(w0, tmp);
                PolyMath.Reduce(w0);
                if (PolyMath.ExceedsNorm(w0, gamma2 - beta))
                {
                    continue;
                }

                for (var i = 0; i < k; i++)
                {
                    var ti = tmp.Slice(i * N, N);
                    PolyMath.PointwiseMontgomery(ti, c, t0Hat.Slice(i * N, N));
                    PolyMath.InvNttToMont(ti);
                }

                PolyMath.Reduce(tmp);
                if (PolyMath.ExceedsNorm(tmp, gamma2))
                {
                    continue;
                }

                PolyMath.Add(w0, tmp);
                if (PolyMath.MakeHints(w0, w1, tmp, gamma2) > p.Omega)
                {
                    continue;
                }

                cTilde.Slice(0, p.CTildeBytes).CopyTo(signature);
                var offset = p.CTildeBytes;
                for (var j = 0; j < l; j++, offset += p.PolyZBytes)
                {
                    Packing.PackOffset(z.Slice(j * N, N), p.ZBits, p.Gamma1, signature.Slice(offset, p.PolyZBytes));
                }

                Packing.PackHint(tmp, k, p.Omega, signature.Slice(offset, p.Omega + k));
                return;
            }
        }
        finally
        {
            // A rejected attempt's w1 and c̃ are never published: wipe the hash state that absorbed them.
            shake.Clear();
            CryptographicOperations.ZeroMemory(rhoSecond);
            CryptographicOperations.ZeroMemory(cTilde);
            ZeroInts(y);
            ZeroInts(z);
            ZeroInts(w0);
            ZeroInts(w1);
            ZeroInts(tmp);
            ZeroInts(c);
            CryptographicOperations.ZeroMemory(w1Packed);
        }
    }

    /// <summary>
    /// Verify_internal (Algorithm 8) from μ. Every length has been checked by the caller; a malformed hint or an
    /// out-of-range z gives false.
    /// </summary>
    public static bool Verify(MlDsaParameters p, ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> mu, ReadOnlySpan<byte> signature) =>
        Verify(p, publicKey, default, default, mu, signature);

    /// <summary>
    /// Verify_internal with an optionally precomputed Â (k·l polys) and NTT(t1·2^d) (k polys); when those spans are
    /// empty they are derived from <paramref name="publicKey"/> as the verification goes.
    /// </summary>
    public static bool Verify(MlDsaParameters p, ReadOnlySpan<byte> publicKey, ReadOnlySpan<int> aHat, ReadOnlySpan<int> t1Hat, ReadOnlySpan<byte> mu, ReadOnlySpan<byte> signature)
    {
        int k = p.K, l = p.L;
        Span<int> z = stackalloc int[l * N];
        Span<int> h = stackalloc int[k * N];
        Span<int> w = stackalloc int[k * N];
        Span<int> t1 = stackalloc int[N];
        Span<int> c = stackalloc int[N];
        Span<int> scratch = stackalloc int[8 * N];
        Span<byte> w1Packed = stackalloc byte[k * p.PolyW1Bytes];
        Span<byte> cTilde = stackalloc byte[64];

        var hintOffset = p.CTildeBytes + (l * p.PolyZBytes);
        if (!Packing.TryUnpackHint(signature.Slice(hintOffset, p.Omega + k), k, p.Omega, h))
        {
            return false;
        }

        for (var j = 0; j < l; j++)
        {
            Packing.UnpackZ(signature.Slice(p.CTildeBytes + (j * p.PolyZBytes), p.PolyZBytes), p.ZBits, p.Gamma1, z.Slice(j * N, N));
        }

        if (PolyMath.ExceedsNorm(z, p.Gamma1 - p.Beta))
        {
            return false;
        }

        var signedCTilde = signature.Slice(0, p.CTildeBytes);
        Sampling.SampleInBall(signedCTilde, p.Tau, c);
        PolyMath.Ntt(c);
        for (var j = 0; j < l; j++)
        {
            PolyMath.Ntt(z.Slice(j * N, N));
        }

        if (aHat.IsEmpty)
        {
            MultiplyByMatrix(p, publicKey.Slice(0, 32), z, w, scratch);
        }
        else
        {
            w.Clear();
            for (var i = 0; i < k; i++)
            {
                for (var j = 0; j < l; j++)
                {
                    PolyMath.PointwiseAccumulate(w.Slice(i * N, N), aHat.Slice(((i * l) + j) * N, N), z.Slice(j * N, N));
                }
            }
        }

        for (var i = 0; i < k; i++)
        {
            // w'_approx = Â ∘ ẑ - ĉ ∘ NTT(t1 · 2^d)
            if (t1Hat.IsEmpty)
            {
                ComputeT1Hat(publicKey, i, t1);
            }
            else
            {
                t1Hat.Slice(i * N, N).CopyTo(t1);
            }

            PolyMath.PointwiseMontgomery(t1, c, t1);
            var wi = w.Slice(i * N, N);
            PolyMath.Subtract(wi, t1);
            PolyMath.Reduce(wi);
            PolyMath.InvNttToMont(wi);
            PolyMath.CAddQ(wi);
            PolyMath.UseHints(wi, h.Slice(i * N, N), p.Gamma2);

            Packing.PackSimple(wi, p.W1Bits, w1Packed.Slice(i * p.PolyW1Bytes, p.PolyW1Bytes));
        }

        var shake = Shake.Create256();
        shake.Absorb(mu.Slice(0, 64));
        shake.Absorb(w1Packed);
        shake.Squeeze(cTilde.Slice(0, p.CTildeBytes));
        return CryptographicOperations.FixedTimeEquals(cTilde.Slice(0, p.CTildeBytes), signedCTilde);
    }

    /// <summary>NTT(t1_i · 2^d) for row <paramref name="i"/> of an encoded public key.</summary>
    public static void ComputeT1Hat(ReadOnlySpan<byte> publicKey, int i, Span<int> t1)
    {
        Packing.UnpackSimple(publicKey.Slice(32 + (i * MlDsaParameters.PolyT1Bytes), MlDsaParameters.PolyT1Bytes), 10, t1);
        for (var n = 0; n < N; n++)
        {
            t1[n] <<= MlDsaParameters.D;
        }

        PolyMath.Ntt(t1);
    }

    /// <summary>tr = H(pk, 64).</summary>
    public static void HashPublicKey(ReadOnlySpan<byte> publicKey, Span<byte> tr) => Shake.Shake256(publicKey, tr.Slice(0, 64));

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ZeroInts(Span<int> values) =>
        CryptographicOperations.ZeroMemory(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values));
}

/// <summary>The three ways FIPS 204 forms μ from a message (§5.2, §5.4 and the internal interface).</summary>
[SkipLocalsInit]
internal static class MessageRepresentative
{
    /// <summary>Pure ML-DSA: M' = 0 ‖ |ctx| ‖ ctx ‖ M (Algorithm 2 line 10).</summary>
    public static void External(ReadOnlySpan<byte> tr, ReadOnlySpan<byte> context, ReadOnlySpan<byte> message, Span<byte> mu)
    {
        ReadOnlySpan<byte> header = [0, (byte)context.Length];
        MlDsaCore.ComputeMu(tr, header, context, default, message, mu);
    }

    /// <summary>HashML-DSA: M' = 1 ‖ |ctx| ‖ ctx ‖ OID ‖ PH(M) (Algorithm 4 line 18).</summary>
    public static void PreHashed(ReadOnlySpan<byte> tr, ReadOnlySpan<byte> context, MlDsaPreHashAlgorithm algorithm, ReadOnlySpan<byte> message, Span<byte> mu)
    {
        Span<byte> oid = stackalloc byte[PreHash.OidBytes];
        Span<byte> digest = stackalloc byte[PreHash.MaxDigestBytes];
        var length = PreHash.Compute(algorithm, message, oid, digest);
        Span<byte> header = [1, (byte)context.Length];
        var shake = Shake.Create256();
        shake.Absorb(tr);
        shake.Absorb(header);
        shake.Absorb(context);
        shake.Absorb(oid);
        shake.Absorb(digest.Slice(0, length));
        shake.Squeeze(mu.Slice(0, 64));
    }

    /// <summary>The internal interface: M' as given.</summary>
    public static void Internal(ReadOnlySpan<byte> tr, ReadOnlySpan<byte> messagePrime, Span<byte> mu) =>
        MlDsaCore.ComputeMu(tr, default, default, default, messagePrime, mu);
}
