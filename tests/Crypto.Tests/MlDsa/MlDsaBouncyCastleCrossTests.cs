using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Prng;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Security;
using Overlay.Crypto.MlDsa;

namespace Overlay.Crypto.Tests.MlDsaTests;

/// <summary>
/// The own ML-DSA against BouncyCastle's, an independent implementation, on seeded random inputs: for
/// each parameter set and each vector path the own code has, keys from one seed are byte-identical
/// (public and private), a signature made by either verifies in the other, deterministic signatures are
/// identical, and a single flipped bit in the message, the context or the signature is rejected by both.
/// A path this CPU lacks is skipped with the reason.
/// </summary>
public sealed class MlDsaBouncyCastleCrossTests
{
    // Per parameter set and path: 3 paths × 80 = 240 cases per parameter set where every path runs.
    private const int CasesPerPath = 80;
    private const int MaxMessageLength = 4096;

    public static TheoryData<MlDsaParameterSet, string> SetsAndPaths()
    {
        var data = new TheoryData<MlDsaParameterSet, string>();
        foreach (var set in new[] { MlDsaParameterSet.MlDsa44, MlDsaParameterSet.MlDsa65, MlDsaParameterSet.MlDsa87 })
        {
            foreach (var level in new[] { "Scalar", "Vector256", "Vector512" })
            {
                data.Add(set, level);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(SetsAndPaths))]
    public void KeysSignaturesAndRejections_AgreeWithBouncyCastle(MlDsaParameterSet set, string levelName)
    {
        var level = Enum.Parse<SimdLevel>(levelName);
        SkipIfUnsupported(level);
        var random = new Random(HashCode.Combine(204, (int)set, (int)level));
        var bcRandom = SeededSecureRandom(random);
        var bcParameters = BouncyCastleParameters(set);
        var flipsRejected = 0;

        using var path = SimdControl.Force(level);
        for (var i = 0; i < CasesPerPath; i++)
        {
            var seed = Bytes(random, MlDsaAlgorithm.SeedSize);
            var message = Bytes(random, random.Next(MaxMessageLength + 1));
            var context = Bytes(random, random.Next(MlDsaAlgorithm.MaxContextLength + 1));
            var label = $"{set} {level} case {i}: message {message.Length} B, context {context.Length} B";

            // Keys from one seed: the encodings are the same bytes.
            var publicKey = new byte[MlDsaAlgorithm.PublicKeySize(set)];
            var privateKey = new byte[MlDsaAlgorithm.PrivateKeySize(set)];
            MlDsaAlgorithm.GenerateKey(set, seed, publicKey, privateKey);
            var bcPrivate = MLDsaPrivateKeyParameters.FromSeed(bcParameters, seed);
            var bcPublic = bcPrivate.GetPublicKey();
            Assert.True(publicKey.AsSpan().SequenceEqual(bcPublic.GetEncoded()), $"{label}: public keys differ");
            Assert.True(privateKey.AsSpan().SequenceEqual(bcPrivate.GetEncoded()), $"{label}: private keys differ");

            // Deterministic signing (rnd = 32 zero bytes) gives the same signature.
            var deterministic = new byte[MlDsaAlgorithm.SignatureSize(set)];
            MlDsaAlgorithm.Sign(set, privateKey, message, context, new byte[MlDsaAlgorithm.RandomSize], deterministic);
            var bcDeterministic = BouncyCastleSign(bcParameters, bcPrivate, message, context, random: null);
            Assert.True(deterministic.AsSpan().SequenceEqual(bcDeterministic), $"{label}: deterministic signatures differ");

            // Hedged signatures cross over: each verifies under the other's verifier.
            var own = new byte[MlDsaAlgorithm.SignatureSize(set)];
            MlDsaAlgorithm.Sign(set, privateKey, message, context, Bytes(random, MlDsaAlgorithm.RandomSize), own);
            Assert.True(BouncyCastleVerify(bcParameters, bcPublic, message, context, own), $"{label}: BouncyCastle rejects the own signature");
            var theirs = BouncyCastleSign(bcParameters, bcPrivate, message, context, bcRandom);
            Assert.True(MlDsaAlgorithm.Verify(set, publicKey, message, context, theirs), $"{label}: the own verifier rejects BouncyCastle's signature");

            // One flipped bit, in turn in the message, the context and the signature (of either signer).
            var signature = i % 2 == 0 ? own : theirs;
            foreach (var (name, bytes) in new[] { ("message", message), ("context", context), ("signature", signature) })
            {
                if (bytes.Length == 0)
                {
                    continue;
                }

                var bit = random.Next(bytes.Length * 8);
                bytes[bit / 8] ^= (byte)(1 << (bit % 8));
                Assert.False(MlDsaAlgorithm.Verify(set, publicKey, message, context, signature), $"{label}: own verifier accepts a flipped {name} bit {bit}");
                Assert.False(BouncyCastleVerify(bcParameters, bcPublic, message, context, signature), $"{label}: BouncyCastle accepts a flipped {name} bit {bit}");
                bytes[bit / 8] ^= (byte)(1 << (bit % 8));
                flipsRejected++;
            }

            // Unflipped, both still accept: the rejections above were the flips'.
            Assert.True(MlDsaAlgorithm.Verify(set, publicKey, message, context, signature), label);
        }

        // Empty messages and contexts skip their flip; the signature's flip always runs.
        Assert.InRange(flipsRejected, 2 * CasesPerPath, 3 * CasesPerPath);
    }

    [Fact]
    public void HybridIdentity_MlDsaHalf_AgreesWithBouncyCastle()
    {
        var random = new Random(65);
        var bcRandom = SeededSecureRandom(random);
        for (var i = 0; i < 16; i++)
        {
            var seed = Bytes(random, NodeIdentity.SeedSize);
            using var identity = NodeIdentity.FromSeed(seed);

            // The documented derivation of ξ (PROTOCOL.md), then BouncyCastle's key generation from it.
            var xi = new byte[MlDsaAlgorithm.SeedSize];
            Blake3.DeriveKey("overlay 2026-11 node identity: ML-DSA-65 seed xi", seed, xi);
            var bcPrivate = MLDsaPrivateKeyParameters.FromSeed(MLDsaParameters.ml_dsa_65, xi);
            Assert.True(identity.PublicKey.MlDsa65Key.SequenceEqual(bcPrivate.GetPublicKeyEncoded()), $"identity {i}: ML-DSA-65 public keys differ");

            var message = Bytes(random, random.Next(1, 600));
            var framed = new byte[IdentitySignature.HybridPrefixSize + message.Length];
            IdentitySignature.FrameHybridMessage(identity.PeerId, message, framed);
            var context = IdentitySignature.Context.ToArray();

            // The identity's ML-DSA half verifies in BouncyCastle over the framed message and context.
            var signature = identity.Sign(message);
            var mlDsaHalf = signature.AsSpan(1 + Overlay.Crypto.Sodium.Ed25519Algorithm.SignatureSize).ToArray();
            Assert.True(BouncyCastleVerify(MLDsaParameters.ml_dsa_65, bcPrivate.GetPublicKey(), framed, context, mlDsaHalf), $"identity {i}: BouncyCastle rejects the ML-DSA half");

            // BouncyCastle's ML-DSA signature in place of the identity's own: the hybrid signature still verifies.
            var bcHalf = BouncyCastleSign(MLDsaParameters.ml_dsa_65, bcPrivate, framed, context, bcRandom);
            byte[] mixed = [.. signature.AsSpan(0, 1 + Overlay.Crypto.Sodium.Ed25519Algorithm.SignatureSize), .. bcHalf];
            Assert.True(identity.PublicKey.Verify(message, mixed), $"identity {i}: BouncyCastle's ML-DSA half is rejected");

            // And the hybrid verifier still needs that half to be right.
            mixed[^1] ^= 1;
            Assert.False(identity.PublicKey.Verify(message, mixed), $"identity {i}: a flipped ML-DSA bit is accepted");
        }
    }

    private static MLDsaParameters BouncyCastleParameters(MlDsaParameterSet set) => set switch
    {
        MlDsaParameterSet.MlDsa44 => MLDsaParameters.ml_dsa_44,
        MlDsaParameterSet.MlDsa65 => MLDsaParameters.ml_dsa_65,
        _ => MLDsaParameters.ml_dsa_87,
    };

    // random null: FIPS 204 deterministic signing; otherwise hedged with randomness from it.
    private static byte[] BouncyCastleSign(MLDsaParameters parameters, MLDsaPrivateKeyParameters key, byte[] message, byte[] context, SecureRandom? random)
    {
        var signer = new MLDsaSigner(parameters, deterministic: random is null);
        // BouncyCastle unwraps the context first, then the randomness around the key.
        signer.Init(true, new ParametersWithContext(random is null ? key : new ParametersWithRandom(key, random), context));
        signer.BlockUpdate(message, 0, message.Length);
        return signer.GenerateSignature();
    }

    private static bool BouncyCastleVerify(MLDsaParameters parameters, MLDsaPublicKeyParameters key, byte[] message, byte[] context, byte[] signature)
    {
        var verifier = new MLDsaSigner(parameters, deterministic: true);
        verifier.Init(false, new ParametersWithContext(key, context));
        verifier.BlockUpdate(message, 0, message.Length);
        return verifier.VerifySignature(signature);
    }

    // BouncyCastle's hedging randomness from the test's seed, so a failure replays exactly.
    private static SecureRandom SeededSecureRandom(Random random)
    {
        var generator = new DigestRandomGenerator(new Sha256Digest());
        generator.AddSeedMaterial(Bytes(random, 32));
        return new SecureRandom(generator);
    }

    private static byte[] Bytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private static void SkipIfUnsupported(SimdLevel level)
    {
        if (level > SimdControl.Best)
        {
            Assert.Skip($"This CPU does not accelerate the {level} path of the own ML-DSA, so it cannot run here.");
        }
    }
}
