using Overlay.Crypto.Sodium;

namespace Overlay.Crypto.Tests.Sodium;

public sealed class Argon2idTests
{
    private static readonly Argon2idParameters Cheap = new(1, Argon2idParameters.MinimumMemoryBytes);

    [Fact]
    public void DeriveBytes_SameInputs_SameOutput_AnyChangeGivesAnother()
    {
        var salt = new byte[Argon2id.SaltSize];
        salt[0] = 1;
        var a = new byte[32];
        var b = new byte[32];
        Argon2id.DeriveBytes("correct horse"u8, salt, Cheap, a);
        Argon2id.DeriveBytes("correct horse"u8, salt, Cheap, b);
        Assert.Equal(a, b);
        Assert.True(a.AsSpan().ContainsAnyExcept((byte)0));

        Argon2id.DeriveBytes("correct horsf"u8, salt, Cheap, b);
        Assert.NotEqual(a, b);
        salt[0] = 2;
        Argon2id.DeriveBytes("correct horse"u8, salt, Cheap, b);
        Assert.NotEqual(a, b);
        salt[0] = 1;
        Assert.True(Argon2id.TryDeriveBytes("correct horse"u8, salt, Cheap with { OpsLimit = 2 }, b));
        Assert.NotEqual(a, b);
        Assert.True(Argon2id.TryDeriveBytes("correct horse"u8, salt, Cheap with { MemoryBytes = 16384 }, b));
        Assert.NotEqual(a, b);
    }

    [Fact]
    public void TryDeriveKey_FromPassphrase_MatchesDeriveBytesOfItsUtf8()
    {
        var salt = new byte[Argon2id.SaltSize];
        Assert.True(Argon2id.TryDeriveKey("pässwörd", salt, Cheap, Algorithm.XChaCha20Poly1305, out var key));
        using (key)
        {
            var expected = new byte[32];
            Argon2id.DeriveBytes(System.Text.Encoding.UTF8.GetBytes("pässwörd"), salt, Cheap, expected);
            var exported = new byte[32];
            key.ExportPrivateKey(exported);
            Assert.Equal(expected, exported);
        }

        // A long passphrase goes through a pooled buffer rather than the stack.
        var longPassphrase = new string('x', 1000);
        Assert.True(Argon2id.TryDeriveKey(longPassphrase, salt, Cheap, Algorithm.XChaCha20Poly1305, out var longKey));
        longKey.Dispose();
    }

    [Fact]
    public void Derive_InvalidArguments_Throw()
    {
        var salt = new byte[Argon2id.SaltSize];
        var output = new byte[32];
        Assert.Throws<ArgumentException>(() => Argon2id.DeriveBytes([], salt.AsSpan(1), Cheap, output));
        Assert.Throws<ArgumentOutOfRangeException>(() => Argon2id.DeriveBytes([], salt, new Argon2idParameters(0, 8192), output));
        Assert.Throws<ArgumentOutOfRangeException>(() => Argon2id.DeriveBytes([], salt, new Argon2idParameters(1, 8191), output));
        Assert.Throws<ArgumentOutOfRangeException>(() => Argon2id.DeriveBytes([], salt, new Argon2idParameters(1L << 33, 8192), output));
        Assert.Throws<ArgumentException>(() => Argon2id.DeriveBytes([], salt, Cheap, output.AsSpan(0, 15)));
        Assert.Throws<ArgumentException>(() => Argon2id.TryDeriveKey("x", salt, Cheap, Algorithm.Ed25519, out _));
        Assert.False(new Argon2idParameters(1, Argon2idParameters.MaximumMemoryBytes + 1).IsValid);
        Assert.True(Argon2idParameters.Moderate.IsValid);
    }
}
