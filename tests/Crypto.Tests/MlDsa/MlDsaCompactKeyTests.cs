using Overlay.Crypto.MlDsa;

namespace Overlay.Crypto.Tests.MlDsaTests;

/// <summary>
/// <see cref="MlDsaPrivateKey"/> keeps only the encoded key and expands it for every signature into per-call
/// buffers (a pooled array for Â, the stack for the secret vectors). Its signatures must be byte-for-byte those
/// of a key expanded once and reused, whatever other keys signed in between and on whichever thread.
/// </summary>
public sealed class MlDsaCompactKeyTests
{
    public static TheoryData<MlDsaParameterSet> Sets() => new(MlDsaParameterSet.MlDsa44, MlDsaParameterSet.MlDsa65, MlDsaParameterSet.MlDsa87);

    [Theory]
    [MemberData(nameof(Sets))]
    public void Sign_InterleavedKeys_EqualsTheKeyExpandedOnce(MlDsaParameterSet set)
    {
        var random = new Random(7100 + (int)set);
        var keys = new MlDsaPrivateKey[3];
        var references = new ExpandedOnceKey[keys.Length];
        for (var i = 0; i < keys.Length; i++)
        {
            var seed = new byte[MlDsaAlgorithm.SeedSize];
            random.NextBytes(seed);
            keys[i] = MlDsaPrivateKey.FromSeed(set, seed);
            references[i] = new ExpandedOnceKey(set, keys[i]);
        }

        try
        {
            var signature = new byte[MlDsaAlgorithm.SignatureSize(set)];
            var zeroRnd = new byte[MlDsaAlgorithm.RandomSize];
            for (var round = 0; round < 12; round++)
            {
                // Each round switches key, so the pooled matrix buffer last held another key's Â.
                var which = round % keys.Length;
                var message = new byte[random.Next(0, 200)];
                random.NextBytes(message);
                var context = new byte[random.Next(0, 40)];
                random.NextBytes(context);

                keys[which].SignDeterministic(message, context, signature);
                Assert.Equal(references[which].Sign(message, context, zeroRnd), signature);

                var rnd = new byte[MlDsaAlgorithm.RandomSize];
                random.NextBytes(rnd);
                keys[which].Sign(message, context, rnd, signature);
                Assert.Equal(references[which].Sign(message, context, rnd), signature);
                Assert.True(MlDsaAlgorithm.Verify(set, references[which].PublicKey, message, context, signature));
            }
        }
        finally
        {
            foreach (var key in keys)
            {
                key.Dispose();
            }
        }
    }

    [Fact]
    public async Task Sign_OnSeveralThreadsAtOnce_EachEqualsTheKeyExpandedOnce()
    {
        const MlDsaParameterSet set = MlDsaParameterSet.MlDsa65;
        var seed = new byte[MlDsaAlgorithm.SeedSize];
        new Random(7200).NextBytes(seed);
        using var key = MlDsaPrivateKey.FromSeed(set, seed);
        var reference = new ExpandedOnceKey(set, key);
        var zeroRnd = new byte[MlDsaAlgorithm.RandomSize];

        var workers = new Task[4];
        for (var w = 0; w < workers.Length; w++)
        {
            var worker = w;
            workers[w] = Task.Run(() =>
            {
                var signature = new byte[key.SignatureSize];
                for (var i = 0; i < 6; i++)
                {
                    byte[] message = [(byte)worker, (byte)i];
                    key.SignDeterministic(message, default, signature);
                    Assert.Equal(reference.Sign(message, default, zeroRnd), signature);
                }
            }, TestContext.Current.CancellationToken);
        }

        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromMinutes(1), TestContext.Current.CancellationToken);
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public void ExportPublicKey_WithoutAKeptCopy_RecomputesTheKeyGenPublicKey(MlDsaParameterSet set)
    {
        var seed = new byte[MlDsaAlgorithm.SeedSize];
        new Random(7300 + (int)set).NextBytes(seed);
        var fromKeyGen = new byte[MlDsaAlgorithm.PublicKeySize(set)];
        using var key = MlDsaPrivateKey.FromSeed(set, seed, fromKeyGen);
        var exported = new byte[fromKeyGen.Length];
        key.ExportPublicKey(exported);
        Assert.Equal(fromKeyGen, exported);
        Assert.Throws<ArgumentException>(() => MlDsaPrivateKey.FromSeed(set, seed, new byte[fromKeyGen.Length - 1]));
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public void Dispose_ZeroesTheStoredEncoding(MlDsaParameterSet set)
    {
        var seed = new byte[MlDsaAlgorithm.SeedSize];
        new Random(7400 + (int)set).NextBytes(seed);
        var key = MlDsaPrivateKey.FromSeed(set, seed);
        var stored = key.StoredSecret;
        Assert.Equal(MlDsaAlgorithm.PrivateKeySize(set), stored.Length);
        Assert.True(stored.ContainsAnyExcept((byte)0));

        key.SignDeterministic([1, 2, 3], default, new byte[key.SignatureSize]);
        key.Dispose();
        Assert.False(stored.ContainsAnyExcept((byte)0));
        var length = stored.Length;
        Assert.Throws<ObjectDisposedException>(() => key.ExportPrivateKey(new byte[length]));
    }

    [Fact]
    public void SignFromBytes_OutOfRangeSecret_ThrowsAndTheNextSignatureIsStillCorrect()
    {
        const MlDsaParameterSet set = MlDsaParameterSet.MlDsa44;
        var seed = new byte[MlDsaAlgorithm.SeedSize];
        new Random(7500).NextBytes(seed);
        using var key = MlDsaPrivateKey.FromSeed(set, seed);
        var sk = new byte[MlDsaAlgorithm.PrivateKeySize(set)];
        key.ExportPrivateKey(sk);

        // η = 2 packs 2 - s in three bits; 7 in the last s2 coefficient decodes to -5, outside [-2, 2].
        var bad = (byte[])sk.Clone();
        var lastS2Byte = 128 + (8 * 96) - 1;
        bad[lastS2Byte] |= 0xE0;
        Assert.False(MlDsaPrivateKey.TryImport(set, bad, out _));
        var signature = new byte[MlDsaAlgorithm.SignatureSize(set)];
        Assert.Throws<ArgumentException>(() => MlDsaAlgorithm.Sign(set, bad, [1], default, new byte[32], signature));

        var reference = new ExpandedOnceKey(set, key);
        MlDsaAlgorithm.Sign(set, sk, [1], default, new byte[32], signature);
        Assert.Equal(reference.Sign([1], default, new byte[32]), signature);
    }

    /// <summary>
    /// The way keys were held before: Â, NTT(s1), NTT(s2), NTT(t0) expanded once into arrays and reused for every
    /// signature, driving the same Sign_internal.
    /// </summary>
    internal sealed class ExpandedOnceKey
    {
        private readonly MlDsaParameters _parameters;
        private readonly int[] _expanded;
        private readonly byte[] _seedMaterial = new byte[MlDsaKeys.SeedMaterialBytes];

        public ExpandedOnceKey(MlDsaParameterSet set, MlDsaPrivateKey key)
        {
            _parameters = MlDsaParameters.Get(set);
            var sk = new byte[_parameters.PrivateKeySize];
            key.ExportPrivateKey(sk);
            _expanded = new int[MlDsaKeys.ExpandedLength(_parameters)];
            Assert.True(MlDsaKeys.TryExpandPrivateKey(_parameters, sk, _expanded, _seedMaterial));
            PublicKey = new byte[_parameters.PublicKeySize];
            key.ExportPublicKey(PublicKey);
        }

        public byte[] PublicKey { get; }

        public byte[] Sign(ReadOnlySpan<byte> message, ReadOnlySpan<byte> context, ReadOnlySpan<byte> rnd)
        {
            var mu = new byte[MlDsaAlgorithm.MuSize];
            MessageRepresentative.External(_seedMaterial.AsSpan(64, 64), context, message, mu);
            var signature = new byte[_parameters.SignatureSize];
            var matrixLength = MlDsaKeys.MatrixLength(_parameters);
            MlDsaSigner.Sign(_parameters, _expanded.AsSpan(0, matrixLength), _expanded.AsSpan(matrixLength), _seedMaterial.AsSpan(32, 32), mu, rnd, signature);
            return signature;
        }
    }
}
