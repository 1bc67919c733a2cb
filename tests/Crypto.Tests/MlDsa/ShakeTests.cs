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

/// <summary>The SHA-2 variants .NET lacks, against FIPS 180-4 example digests and multi-block messages.</summary>
public sealed class Sha2Tests
{
    [Theory]
    [InlineData("abc", "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7", "4634270f707b6a54daae7530460842e20e37ed265ceee9a43e8924aa", "53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23")]
    [InlineData("a*1000", "4e8f0ce90b64661a2b5e84be6d93a7d9b76871062f1814433d04a03d", "ffdfa284ae9e562222e2a37cd683823f7e669f3636477701f4ce9abe", "40eb4a70d4d69815407a9e272f0101cd67e3d11262a4a0bfc087712749c7fb53")]
    public void Sha224AndSha512T_MatchKnownDigests(string input, string sha224, string sha512T224, string sha512T256)
    {
        var message = input == "a*1000" ? System.Text.Encoding.ASCII.GetBytes(new string('a', 1000)) : System.Text.Encoding.ASCII.GetBytes(input);
        var digest = new byte[32];
        Assert.Equal(28, Sha2.Sha224(message, digest));
        Assert.Equal(sha224, Convert.ToHexStringLower(digest.AsSpan(0, 28)));
        Assert.Equal(28, Sha2.Sha512T(28, message, digest));
        Assert.Equal(sha512T224, Convert.ToHexStringLower(digest.AsSpan(0, 28)));
        Assert.Equal(32, Sha2.Sha512T(32, message, digest));
        Assert.Equal(sha512T256, Convert.ToHexStringLower(digest));
    }
}
