using System.Security.Cryptography;
using Overlay.Crypto.MlDsa;

namespace Overlay.Crypto.Tests.MlDsaTests;

/// <summary>Seeded round trips and tampering: what a signature scheme must accept and reject.</summary>
public sealed class MlDsaRoundTripTests
{
    public static TheoryData<MlDsaParameterSet> Sets() => new(MlDsaParameterSet.MlDsa44, MlDsaParameterSet.MlDsa65, MlDsaParameterSet.MlDsa87);

    [Theory]
    [MemberData(nameof(Sets))]
    public void SignThenVerify_OnSeededRandomKeysAndMessages_Verifies(MlDsaParameterSet set)
    {
        var random = new Random(1000 + (int)set);
        for (var round = 0; round < 8; round++)
        {
            var (pk, sk) = KeyPair(set, random);
            var message = new byte[random.Next(0, 300)];
            random.NextBytes(message);
            var context = new byte[random.Next(0, 256)];
            random.NextBytes(context);
            var rnd = new byte[32];
            random.NextBytes(rnd);

            var signature = new byte[MlDsaAlgorithm.SignatureSize(set)];
            MlDsaAlgorithm.Sign(set, sk, message, context, rnd, signature);
            Assert.True(MlDsaAlgorithm.Verify(set, pk, message, context, signature));

            // The cached key gives the same bytes for the same rnd, and hedged signatures verify too.
            Assert.True(MlDsaPrivateKey.TryImport(set, sk, out var key));
            using (key)
            {
                var again = new byte[signature.Length];
                key.Sign(message, context, rnd, again);
                Assert.Equal(signature, again);
                key.Sign(message, context, again);
                Assert.True(MlDsaAlgorithm.Verify(set, pk, message, context, again));
            }

            Assert.True(MlDsaPublicKey.TryImport(set, pk, out var publicKey));
            Assert.True(publicKey.Verify(message, context, signature));
            Assert.False(publicKey.Verify(message, context, signature.AsSpan(1)));
            Assert.False(publicKey.Verify(message, new byte[256], signature));
            Assert.False(MlDsaPublicKey.TryImport(set, pk.AsSpan(1), out _));

            // A different context is a different message.
            var otherContext = context.Length == 0 ? new byte[] { 1 } : context[..^1];
            Assert.False(MlDsaAlgorithm.Verify(set, pk, message, otherContext, signature));
        }
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public void Verify_AfterAnySingleBitFlip_IsFalse(MlDsaParameterSet set)
    {
        var random = new Random(2000 + (int)set);
        var (pk, sk) = KeyPair(set, random);
        var message = new byte[64];
        random.NextBytes(message);
        var signature = new byte[MlDsaAlgorithm.SignatureSize(set)];
        MlDsaAlgorithm.Sign(set, sk, message, default, new byte[32], signature);
        Assert.True(MlDsaAlgorithm.Verify(set, pk, message, default, signature));

        for (var bit = 0; bit < message.Length * 8; bit++)
        {
            message[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(MlDsaAlgorithm.Verify(set, pk, message, default, signature), $"message bit {bit}");
            message[bit / 8] ^= (byte)(1 << (bit % 8));
        }

        // Every byte of the signature, one seeded bit each, plus every bit of c̃ and of the hint section.
        var p = signature.Length;
        for (var i = 0; i < p; i++)
        {
            var bit = random.Next(8);
            signature[i] ^= (byte)(1 << bit);
            Assert.False(MlDsaAlgorithm.Verify(set, pk, message, default, signature), $"signature byte {i} bit {bit}");
            signature[i] ^= (byte)(1 << bit);
        }

        for (var i = 0; i < pk.Length; i += 3)
        {
            var bit = random.Next(8);
            pk[i] ^= (byte)(1 << bit);
            Assert.False(MlDsaAlgorithm.Verify(set, pk, message, default, signature), $"public key byte {i} bit {bit}");
            pk[i] ^= (byte)(1 << bit);
        }

        Assert.True(MlDsaAlgorithm.Verify(set, pk, message, default, signature));
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public void Verify_OnWrongLengthsAndGarbage_IsFalseWithoutThrowing(MlDsaParameterSet set)
    {
        var random = new Random(3000 + (int)set);
        var (pk, sk) = KeyPair(set, random);
        var message = new byte[] { 1, 2, 3 };
        var signature = new byte[MlDsaAlgorithm.SignatureSize(set)];
        MlDsaAlgorithm.Sign(set, sk, message, default, new byte[32], signature);

        Assert.False(MlDsaAlgorithm.Verify(set, pk, message, default, signature.AsSpan(0, signature.Length - 1)));
        Assert.False(MlDsaAlgorithm.Verify(set, pk, message, default, [.. signature, 0]));
        Assert.False(MlDsaAlgorithm.Verify(set, pk, message, default, default));
        Assert.False(MlDsaAlgorithm.Verify(set, pk.AsSpan(0, pk.Length - 1), message, default, signature));
        Assert.False(MlDsaAlgorithm.Verify(set, [.. pk, 0], message, default, signature));
        Assert.False(MlDsaAlgorithm.Verify(set, default, message, default, signature));
        Assert.False(MlDsaAlgorithm.Verify(set, pk, message, new byte[256], signature));
        Assert.False(MlDsaAlgorithm.VerifyMu(set, pk, new byte[63], signature));
        Assert.False(MlDsaAlgorithm.VerifyPreHash(set, pk, message, default, (MlDsaPreHashAlgorithm)99, signature));

        var garbage = new byte[signature.Length];
        var garbageKey = new byte[pk.Length];
        for (var i = 0; i < 300; i++)
        {
            random.NextBytes(garbage);
            Assert.False(MlDsaAlgorithm.Verify(set, pk, message, default, garbage));
            random.NextBytes(garbageKey);
            Assert.False(MlDsaAlgorithm.Verify(set, garbageKey, message, default, signature));
        }
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public void Verify_OnMalformedHintsAndOutOfRangeZ_IsFalse(MlDsaParameterSet set)
    {
        var random = new Random(4000 + (int)set);
        var (pk, sk) = KeyPair(set, random);
        var message = new byte[] { 9, 8, 7 };
        var signature = new byte[MlDsaAlgorithm.SignatureSize(set)];
        MlDsaAlgorithm.Sign(set, sk, message, default, new byte[32], signature);
        var (k, omega) = set switch
        {
            MlDsaParameterSet.MlDsa44 => (4, 80),
            MlDsaParameterSet.MlDsa65 => (6, 55),
            _ => (8, 75),
        };
        var hints = signature.Length - omega - k;

        // A count beyond ω.
        var tampered = (byte[])signature.Clone();
        tampered[hints + omega + k - 1] = (byte)(omega + 1);
        Assert.False(MlDsaAlgorithm.Verify(set, pk, message, default, tampered));

        // Counts that decrease.
        tampered = (byte[])signature.Clone();
        tampered[hints + omega] = (byte)(tampered[hints + omega + 1] + 1);
        Assert.False(MlDsaAlgorithm.Verify(set, pk, message, default, tampered));

        // Positions out of order within the first polynomial (needs at least two hints there).
        tampered = (byte[])signature.Clone();
        tampered[hints + omega] = 2;
        tampered[hints] = 200;
        tampered[hints + 1] = 100;
        for (var i = 1; i < k; i++)
        {
            tampered[hints + omega + i] = Math.Max(tampered[hints + omega + i], (byte)2);
        }

        Assert.False(MlDsaAlgorithm.Verify(set, pk, message, default, tampered));

        // A non-zero byte in the unused tail of the position list.
        tampered = (byte[])signature.Clone();
        var used = tampered[hints + omega + k - 1];
        if (used < omega)
        {
            tampered[hints + omega - 1] = 1;
            Assert.False(MlDsaAlgorithm.Verify(set, pk, message, default, tampered));
        }

        // z = γ1 in its first coefficient (stored value 0): outside ‖z‖∞ < γ1 - β.
        tampered = (byte[])signature.Clone();
        var cTildeBytes = set switch { MlDsaParameterSet.MlDsa44 => 32, MlDsaParameterSet.MlDsa65 => 48, _ => 64 };
        tampered[cTildeBytes] = 0;
        tampered[cTildeBytes + 1] = 0;
        tampered[cTildeBytes + 2] &= 0xF0;
        Assert.False(MlDsaAlgorithm.Verify(set, pk, message, default, tampered));
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public void PreHashAndMu_RoundTrip_AndAreDomainSeparatedFromPure(MlDsaParameterSet set)
    {
        var random = new Random(5000 + (int)set);
        var (pk, sk) = KeyPair(set, random);
        var message = new byte[100];
        random.NextBytes(message);
        var context = new byte[] { 7, 7 };
        var signature = new byte[MlDsaAlgorithm.SignatureSize(set)];
        foreach (var algorithm in Enum.GetValues<MlDsaPreHashAlgorithm>())
        {
            MlDsaAlgorithm.SignPreHash(set, sk, message, context, algorithm, new byte[32], signature);
            Assert.True(MlDsaAlgorithm.VerifyPreHash(set, pk, message, context, algorithm, signature));
            Assert.False(MlDsaAlgorithm.Verify(set, pk, message, context, signature));
        }

        var mu = new byte[64];
        MlDsaAlgorithm.ComputeMu(set, pk, message, context, mu);
        MlDsaAlgorithm.SignMu(set, sk, mu, new byte[32], signature);
        Assert.True(MlDsaAlgorithm.Verify(set, pk, message, context, signature));
        Assert.True(MlDsaAlgorithm.VerifyMu(set, pk, mu, signature));
    }

    [Fact]
    public void PrivateKey_RejectsBadEncodingsAndDisposal()
    {
        var random = new Random(6000);
        var (_, sk) = KeyPair(MlDsaParameterSet.MlDsa44, random);
        Assert.False(MlDsaPrivateKey.TryImport(MlDsaParameterSet.MlDsa44, sk.AsSpan(1), out _));
        Assert.False(MlDsaPrivateKey.TryImport(MlDsaParameterSet.MlDsa65, sk, out _));

        // η = 2 packs 2 - s in three bits; the value 7 decodes to s1 = -5, outside [-2, 2].
        var bad = (byte[])sk.Clone();
        bad[128] |= 0x07;
        Assert.False(MlDsaPrivateKey.TryImport(MlDsaParameterSet.MlDsa44, bad, out _));
        Assert.Throws<ArgumentException>(() => MlDsaAlgorithm.Sign(MlDsaParameterSet.MlDsa44, bad, [1], default, new byte[32], new byte[2420]));
        Assert.Throws<ArgumentException>(() => MlDsaAlgorithm.Sign(MlDsaParameterSet.MlDsa44, sk, [1], new byte[256], new byte[32], new byte[2420]));

        Assert.True(MlDsaPrivateKey.TryImport(MlDsaParameterSet.MlDsa44, sk, out var key));
        key.Dispose();
        Assert.Throws<ObjectDisposedException>(() => key.SignDeterministic([1], default, new byte[2420]));
    }

    [Fact]
    public void Generate_WithInjectedGenerator_UsesItForSeedAndHedging()
    {
        using var first = new CountingGenerator(11);
        using var key = MlDsaPrivateKey.Generate(MlDsaParameterSet.MlDsa65, first);
        Assert.Equal(32, first.BytesDrawn);
        var signature = new byte[key.SignatureSize];
        key.Sign([1, 2, 3], default, signature);
        Assert.Equal(64, first.BytesDrawn);

        // Same generator seed, same key; two hedged signatures of one message differ.
        using var second = new CountingGenerator(11);
        using var same = MlDsaPrivateKey.Generate(MlDsaParameterSet.MlDsa65, second);
        var a = new byte[MlDsaAlgorithm.PrivateKeySize(MlDsaParameterSet.MlDsa65)];
        var b = new byte[a.Length];
        key.ExportPrivateKey(a);
        same.ExportPrivateKey(b);
        Assert.Equal(a, b);
        var other = new byte[signature.Length];
        key.Sign([1, 2, 3], default, other);
        Assert.NotEqual(signature, other);
    }

    [Fact]
    public void CrossCheck_WithDotNetMLDsa_WhenSupported()
    {
#pragma warning disable SYSLIB5006 // MLDsa is marked experimental in .NET 10.
        if (!MLDsa.IsSupported)
        {
            Assert.Skip("MLDsa.IsSupported is false: OpenSSL 3.5+ is required");
        }

        foreach (var (set, algorithm) in new[]
        {
            (MlDsaParameterSet.MlDsa44, MLDsaAlgorithm.MLDsa44),
            (MlDsaParameterSet.MlDsa65, MLDsaAlgorithm.MLDsa65),
            (MlDsaParameterSet.MlDsa87, MLDsaAlgorithm.MLDsa87),
        })
        {
            var random = new Random(7000 + (int)set);
            var seed = new byte[32];
            random.NextBytes(seed);
            var pk = new byte[MlDsaAlgorithm.PublicKeySize(set)];
            var sk = new byte[MlDsaAlgorithm.PrivateKeySize(set)];
            MlDsaAlgorithm.GenerateKey(set, seed, pk, sk);
            using var theirs = MLDsa.ImportMLDsaPrivateSeed(algorithm, seed);
            Assert.Equal(pk, theirs.ExportMLDsaPublicKey());

            var message = new byte[77];
            random.NextBytes(message);
            var context = new byte[] { 1, 2 };
            var ours = new byte[MlDsaAlgorithm.SignatureSize(set)];
            MlDsaAlgorithm.Sign(set, sk, message, context, ours);
            Assert.True(theirs.VerifyData(message, ours, context));
            var fromDotNet = theirs.SignData(message, context);
            Assert.True(MlDsaAlgorithm.Verify(set, pk, message, context, fromDotNet));
        }
#pragma warning restore SYSLIB5006
    }

    private static (byte[] PublicKey, byte[] PrivateKey) KeyPair(MlDsaParameterSet set, Random random)
    {
        var seed = new byte[32];
        random.NextBytes(seed);
        var pk = new byte[MlDsaAlgorithm.PublicKeySize(set)];
        var sk = new byte[MlDsaAlgorithm.PrivateKeySize(set)];
        MlDsaAlgorithm.GenerateKey(set, seed, pk, sk);
        return (pk, sk);
    }

    /// <summary>A deterministic stand-in for the OS generator that counts what it hands out.</summary>
    private sealed class CountingGenerator(int seed) : RandomNumberGenerator
    {
        private readonly Random _random = new(seed);

        public int BytesDrawn { get; private set; }

        public override void GetBytes(byte[] data) => GetBytes(data.AsSpan());

        public override void GetBytes(Span<byte> data)
        {
            _random.NextBytes(data);
            BytesDrawn += data.Length;
        }
    }
}
