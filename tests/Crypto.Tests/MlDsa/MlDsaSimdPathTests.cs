using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Overlay.Crypto.MlDsa;

namespace Overlay.Crypto.Tests.MlDsaTests;

/// <summary>
/// Each vector path (scalar, AVX2, AVX-512) against the scalar reference arithmetic, and against the official
/// vectors. A path this CPU lacks is reported as skipped, not passed.
/// </summary>
public sealed class MlDsaSimdPathTests
{
    private const int N = 256;
    private const int Q = 8380417;

    public static TheoryData<string> Levels() => new("Scalar", "Vector256", "Vector512");

    [Theory]
    [MemberData(nameof(Levels))]
    public void NttAndProducts_OnSeededRandomPolynomials_MatchScalarArithmetic(string levelName)
    {
        var level = Enum.Parse<SimdLevel>(levelName);
        SkipIfUnsupported(level);
        var random = new Random(204);
        var a = new int[N];
        var b = new int[N];
        for (var round = 0; round < 200; round++)
        {
            // Forward NTT inputs up to q in magnitude, as for t1·2^13 and reduced values.
            for (var i = 0; i < N; i++)
            {
                a[i] = random.Next(-Q + 1, Q);
                b[i] = random.Next(-Q + 1, Q);
            }

            var expected = (int[])a.Clone();
            var actual = (int[])a.Clone();
            PolyMath.NttScalar(expected);
            using (SimdControl.Force(level))
            {
                PolyMath.Ntt(actual);
            }

            Assert.Equal(expected, actual);

            var expectedInverse = (int[])b.Clone();
            var actualInverse = (int[])b.Clone();
            PolyMath.InvNttToMontScalar(expectedInverse);
            using (SimdControl.Force(level))
            {
                PolyMath.InvNttToMont(actualInverse);
            }

            Assert.Equal(expectedInverse, actualInverse);

            var expectedProduct = new int[N];
            var actualProduct = new int[N];
            PolyMath.PointwiseMontgomeryScalar(expectedProduct, expected, b);
            PolyMath.PointwiseAccumulateScalar(expectedProduct, a, b);
            using (SimdControl.Force(level))
            {
                PolyMath.PointwiseMontgomery(actualProduct, expected, b);
                PolyMath.PointwiseAccumulate(actualProduct, a, b);
            }

            Assert.Equal(expectedProduct, actualProduct);
        }
    }

    [Theory]
    [MemberData(nameof(Levels))]
    public void InverseOfForward_IsIdentityTimesMontgomeryFactor(string levelName)
    {
        var level = Enum.Parse<SimdLevel>(levelName);
        SkipIfUnsupported(level);
        var random = new Random(7);
        var a = new int[N];
        for (var i = 0; i < N; i++)
        {
            a[i] = random.Next(-Q + 1, Q);
        }

        var roundTrip = (int[])a.Clone();
        using (SimdControl.Force(level))
        {
            PolyMath.Ntt(roundTrip);
            PolyMath.Reduce(roundTrip);
            PolyMath.InvNttToMont(roundTrip);
        }

        // InvNttToMont(Ntt(a)) = a·2^32 mod q.
        const long r = (1L << 32) % Q;
        for (var i = 0; i < N; i++)
        {
            var expected = (((a[i] * r) % Q) + Q) % Q;
            Assert.Equal(expected, ((roundTrip[i] % Q) + Q) % Q);
        }
    }

    [Theory]
    [MemberData(nameof(Levels))]
    public void KeyGenSignVerify_OnVectorSample_MatchUnderEachPath(string levelName)
    {
        var level = Enum.Parse<SimdLevel>(levelName);
        SkipIfUnsupported(level);
        using var scope = SimdControl.Force(level);

        // One keyGen and a spread of sigGen/sigVer cases per parameter set: every path meets every code branch.
        foreach (var c in AcvpVectors.KeyGen.Value.Values.Where(c => c.CaseId % 25 == 1))
        {
            var pk = new byte[MlDsaAlgorithm.PublicKeySize(c.ParameterSet)];
            var sk = new byte[MlDsaAlgorithm.PrivateKeySize(c.ParameterSet)];
            MlDsaAlgorithm.GenerateKey(c.ParameterSet, c.Bytes("seed"), pk, sk);
            Assert.Equal(c["pk"], Convert.ToHexString(pk));
            Assert.Equal(c["sk"], Convert.ToHexString(sk));
        }

        foreach (var c in AcvpVectors.SigGen.Value.Values.Where(c => c.CaseId % 15 == 1 && c["signatureInterface"] == "internal"))
        {
            var signature = new byte[MlDsaAlgorithm.SignatureSize(c.ParameterSet)];
            var rnd = c.Has("rnd") ? c.Bytes("rnd") : new byte[32];
            if (c.Flag("externalMu"))
            {
                MlDsaAlgorithm.SignMu(c.ParameterSet, c.Bytes("sk"), c.Bytes("mu"), rnd, signature);
            }
            else
            {
                MlDsaAlgorithm.SignInternal(c.ParameterSet, c.Bytes("sk"), c.Bytes("message"), rnd, signature);
            }

            Assert.Equal(c["signature"], Convert.ToHexString(signature));
        }

        foreach (var c in AcvpVectors.SigVer.Value.Values.Where(c => c["signatureInterface"] == "internal"))
        {
            var verdict = c.Flag("externalMu")
                ? MlDsaAlgorithm.VerifyMu(c.ParameterSet, c.Bytes("pk"), c.Bytes("mu"), c.Bytes("signature"))
                : MlDsaAlgorithm.VerifyInternal(c.ParameterSet, c.Bytes("pk"), c.Bytes("message"), c.Bytes("signature"));
            Assert.Equal(c.Flag("testPassed"), verdict);
        }
    }

    private static void SkipIfUnsupported(SimdLevel level)
    {
        if (level == SimdLevel.Vector512 && !(Avx512F.IsSupported && Vector512.IsHardwareAccelerated))
        {
            Assert.Skip("This CPU does not accelerate AVX-512, so the Vector512 path cannot run here.");
        }

        if (level == SimdLevel.Vector256 && !Avx2.IsSupported)
        {
            Assert.Skip("This CPU has no AVX2, so the Vector256 path cannot run here.");
        }
    }
}
