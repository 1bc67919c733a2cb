using Overlay.Crypto.MlDsa;
using Overlay.Testing;

namespace Overlay.Crypto.Tests.MlDsaTests;

/// <summary>NIST's ACVP sample vectors for FIPS 204: every keyGen, sigGen and sigVer case.</summary>
public sealed class MlDsaAcvpTests
{
    public static TheoryData<int, string> KeyGenCases() => AcvpVectors.CaseIds(AcvpVectors.KeyGen);

    public static TheoryData<int, string> SigGenCases() => AcvpVectors.CaseIds(AcvpVectors.SigGen);

    public static TheoryData<int, string> SigVerCases() => AcvpVectors.CaseIds(AcvpVectors.SigVer);

    [Theory]
    [MemberData(nameof(KeyGenCases))]
    public void KeyGen_FromSeed_MatchesExpectedKeysByteForByte(int tcId, string kind)
    {
        _ = kind;
        var c = AcvpVectors.KeyGen.Value[tcId];
        var set = c.ParameterSet;
        var pk = new byte[MlDsaAlgorithm.PublicKeySize(set)];
        var sk = new byte[MlDsaAlgorithm.PrivateKeySize(set)];
        MlDsaAlgorithm.GenerateKey(set, c.Bytes("seed"), pk, sk);
        Assert.Equal(c["pk"], Convert.ToHexString(pk));
        Assert.Equal(c["sk"], Convert.ToHexString(sk));

        // The key object computes the same encodings, and an imported key re-derives the public key.
        using var key = MlDsaPrivateKey.FromSeed(set, c.Bytes("seed"));
        var exported = new byte[sk.Length];
        key.ExportPrivateKey(exported);
        Assert.Equal(sk, exported);
        Assert.True(MlDsaPrivateKey.TryImport(set, sk, out var imported));
        using (imported)
        {
            var recomputed = new byte[pk.Length];
            imported.ExportPublicKey(recomputed);
            Assert.Equal(pk, recomputed);
        }
    }

    [Theory]
    [MemberData(nameof(SigGenCases))]
    public void SigGen_MatchesExpectedSignatureByteForByte(int tcId, string kind)
    {
        _ = kind;
        var c = AcvpVectors.SigGen.Value[tcId];
        var set = c.ParameterSet;
        var sk = c.Bytes("sk");
        var rnd = c.Has("rnd") ? c.Bytes("rnd") : new byte[MlDsaAlgorithm.RandomSize];
        Assert.Equal(c.Flag("deterministic"), !c.Has("rnd"));
        var fromBytes = new byte[MlDsaAlgorithm.SignatureSize(set)];
        var fromKey = new byte[MlDsaAlgorithm.SignatureSize(set)];
        Assert.True(MlDsaPrivateKey.TryImport(set, sk, out var key));
        using (key)
        {
            if (c["signatureInterface"] == "internal")
            {
                if (c.Flag("externalMu"))
                {
                    MlDsaAlgorithm.SignMu(set, sk, c.Bytes("mu"), rnd, fromBytes);
                    key.SignMu(c.Bytes("mu"), rnd, fromKey);
                }
                else
                {
                    MlDsaAlgorithm.SignInternal(set, sk, c.Bytes("message"), rnd, fromBytes);
                    key.SignInternal(c.Bytes("message"), rnd, fromKey);
                }
            }
            else if (c["preHash"] == "preHash")
            {
                var algorithm = AcvpVectors.PreHashAlgorithm(c["hashAlg"]);
                Assert.NotNull(algorithm);
                MlDsaAlgorithm.SignPreHash(set, sk, c.Bytes("message"), c.Bytes("context"), algorithm.Value, rnd, fromBytes);
                key.SignPreHash(c.Bytes("message"), c.Bytes("context"), algorithm.Value, rnd, fromKey);
            }
            else
            {
                MlDsaAlgorithm.Sign(set, sk, c.Bytes("message"), c.Bytes("context"), rnd, fromBytes);
                if (c.Flag("deterministic"))
                {
                    key.SignDeterministic(c.Bytes("message"), c.Bytes("context"), fromKey);
                }
                else
                {
                    key.Sign(c.Bytes("message"), c.Bytes("context"), rnd, fromKey);
                }
            }
        }

        Assert.Equal(c["signature"], Convert.ToHexString(fromBytes));
        Assert.Equal(c["signature"], Convert.ToHexString(fromKey));
    }

    [Theory]
    [MemberData(nameof(SigVerCases))]
    public void SigVer_GivesExpectedVerdict(int tcId, string kind)
    {
        _ = kind;
        var c = AcvpVectors.SigVer.Value[tcId];
        var set = c.ParameterSet;
        var pk = c.Bytes("pk");
        var signature = c.Bytes("signature");
        bool verdict;
        if (c["signatureInterface"] == "internal")
        {
            verdict = c.Flag("externalMu")
                ? MlDsaAlgorithm.VerifyMu(set, pk, c.Bytes("mu"), signature)
                : MlDsaAlgorithm.VerifyInternal(set, pk, c.Bytes("message"), signature);
        }
        else if (c["preHash"] == "preHash")
        {
            var algorithm = AcvpVectors.PreHashAlgorithm(c["hashAlg"]);
            Assert.NotNull(algorithm);
            verdict = MlDsaAlgorithm.VerifyPreHash(set, pk, c.Bytes("message"), c.Bytes("context"), algorithm.Value, signature);
        }
        else
        {
            verdict = MlDsaAlgorithm.Verify(set, pk, c.Bytes("message"), c.Bytes("context"), signature);
        }

        Assert.Equal(c.Flag("testPassed"), verdict);

        // The expanded public key gives the same verdict.
        Assert.True(MlDsaPublicKey.TryImport(set, pk, out var key));
        bool cached;
        if (c["signatureInterface"] == "internal")
        {
            cached = c.Flag("externalMu") ? key.VerifyMu(c.Bytes("mu"), signature) : key.VerifyInternal(c.Bytes("message"), signature);
        }
        else if (c["preHash"] == "preHash")
        {
            cached = key.VerifyPreHash(c.Bytes("message"), c.Bytes("context"), AcvpVectors.PreHashAlgorithm(c["hashAlg"])!.Value, signature);
        }
        else
        {
            cached = key.Verify(c.Bytes("message"), c.Bytes("context"), signature);
        }

        Assert.Equal(verdict, cached);
    }
}
