using System.Security.Cryptography;
using Overlay.Crypto.MlDsa;

namespace Overlay.Crypto.Tests.MlDsaTests;

/// <summary>Our Keccak-based SHAKE and SHA3 against .NET's (OpenSSL's), and the multi-way forms against the scalar one.</summary>
public sealed class ShakeTests
{
    [Fact]
    public void Shake_InPiecesOfSeededLengths_MatchesDotNet()
    {
        if (!Shake128.IsSupported || !Shake256.IsSupported || !SHA3_256.IsSupported)
        {
            Assert.Skip("Shake128/Shake256/SHA3_256 are not supported by this platform's crypto library.");
        }

        var random = new Random(202);
        for (var round = 0; round < 200; round++)
        {
            var input = new byte[random.Next(0, 700)];
            random.NextBytes(input);
            var outputLength = random.Next(1, 600);

            var ours128 = Shake.Create128();
            var ours256 = Shake.Create256();
            var sha3 = Shake.CreateSha3(32);
            for (var at = 0; at < input.Length;)
            {
                var piece = Math.Min(random.Next(0, 200), input.Length - at);
                ours128.Absorb(input.AsSpan(at, piece));
                ours256.Absorb(input.AsSpan(at, piece));
                sha3.Absorb(input.AsSpan(at, piece));
                at += piece;
            }

            var actual = new byte[outputLength];
            var split = random.Next(0, outputLength);
            ours128.Squeeze(actual.AsSpan(0, split));
            ours128.Squeeze(actual.AsSpan(split));
            Assert.Equal(Shake128.HashData(input, outputLength), actual);

            ours256.Squeeze(actual);
            Assert.Equal(Shake256.HashData(input, outputLength), actual);

            var digest = new byte[32];
            sha3.FinishAbsorb(0x06);
            sha3.Squeeze(digest);
            Assert.Equal(SHA3_256.HashData(input), digest);
        }
    }

    [Fact]
    public void MultiWayKeccak_MatchesScalarPerInstance()
    {
        var random = new Random(303);
        foreach (var (ways, rate) in new[] { (4, Shake.Rate128), (8, Shake.Rate256) })
        {
            if ((ways == 4 && !KeccakX4.IsSupported) || (ways == 8 && !KeccakX8.IsSupported))
            {
                continue;
            }

            const int length = 66;
            const int blocks = 3;
            var inputs = new byte[ways * length];
            random.NextBytes(inputs);
            var output = new byte[ways * blocks * rate];
            if (ways == 4)
            {
                var x4 = new KeccakX4(rate);
                x4.AbsorbOnce(inputs, length);
                x4.SqueezeBlocks(output, blocks);
            }
            else
            {
                var x8 = new KeccakX8(rate);
                x8.AbsorbOnce(inputs, length);
                x8.SqueezeBlocks(output, blocks);
            }

            for (var n = 0; n < ways; n++)
            {
                var scalar = rate == Shake.Rate128 ? Shake.Create128() : Shake.Create256();
                scalar.Absorb(inputs.AsSpan(n * length, length));
                var expected = new byte[blocks * rate];
                scalar.Squeeze(expected);
                Assert.Equal(expected, output.AsSpan(n * blocks * rate, blocks * rate).ToArray());
            }
        }

        if (!KeccakX4.IsSupported)
        {
            Assert.Skip("No 256-bit vector acceleration: the multi-way Keccak paths are not used on this CPU.");
        }
    }
}
