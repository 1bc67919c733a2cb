using System.Buffers.Binary;
using Overlay.Crypto.Sodium;

namespace Overlay.Crypto.Tests.Identity;

/// <summary>
/// Malformed key files must fail with <see cref="KeyFileException"/> and nothing else: every truncation,
/// seeded random single-byte mutations (raw, and with the checksum recomputed so the mutation reaches
/// the fields behind it), and random files.
/// </summary>
public sealed class IdentityKeyFileFuzzTests : IDisposable
{
    private const string MemoryPath = "fuzz.key";
    private const string Passphrase = "fuzz passphrase";

    private static readonly IdentityKeyFileOptions Cheap = new()
    {
        KeyDerivation = new Argon2idParameters(1, 8 * 1024),
        MaxOpsLimit = 3,
        MaxMemoryBytes = 32 * 1024,
    };

    private readonly string _directory = Directory.CreateTempSubdirectory("overlay-keyfuzz-").FullName;
    private readonly NodeIdentity _identity = NodeIdentity.FromRandom(new Random(42));
    private readonly NodeIdentity _ed25519Identity = NodeIdentity.FromEd25519Seed(new byte[32]);

    public void Dispose()
    {
        _identity.Dispose();
        _ed25519Identity.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private byte[] Image(bool sealedFile, bool ed25519Only = false)
    {
        var buffer = new byte[KeyFileFormat.MaxFileSize];
        var identity = ed25519Only ? _ed25519Identity : _identity;
        var length = KeyFileFormat.Encode(identity, sealedFile ? Passphrase : default, Cheap, buffer, MemoryPath);
        return buffer[..length];
    }

    private static KeyFileException Fails(byte[] file, string passphrase = Passphrase) =>
        Assert.Throws<KeyFileException>(() => KeyFileFormat.Decode(file, MemoryPath, passphrase, Cheap).Dispose());

    private static void FixChecksum(byte[] file) => Blake3.Hash(file.AsSpan(0, file.Length - 32), file.AsSpan(file.Length - 32));

    private string WritePrivate(string name, ReadOnlySpan<byte> bytes)
    {
        var path = Path.Combine(_directory, name);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var stream = new FileStream(path, options);
        stream.Write(bytes);
        return path;
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Decode_ValidImage_RoundTrips(bool sealedFile, bool ed25519Only)
    {
        var image = Image(sealedFile, ed25519Only);
        Assert.Equal(ed25519Only ? 1 : 2, image[8]);
        Assert.Equal(KeyFileFormat.MaxFileSize, Image(sealedFile: true).Length);
        using var identity = KeyFileFormat.Decode(image, MemoryPath, Passphrase, Cheap);
        Assert.Equal((ed25519Only ? _ed25519Identity : _identity).PeerId, identity.PeerId);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void Load_EveryTruncation_IsReportedAsTruncated(bool sealedFile, bool ed25519Only)
    {
        var image = Image(sealedFile, ed25519Only);
        for (var length = 0; length < image.Length; length++)
        {
            var path = WritePrivate($"t{length}.key", image.AsSpan(0, length));
            var e = Assert.Throws<KeyFileException>(() => IdentityKeyFile.Load(path, Passphrase, Cheap).Dispose());
            Assert.True(e.Reason == KeyFileError.Truncated, $"length {length}: {e.Reason}: {e.Message}");
            Assert.Contains(path, e.Message);
        }
    }

    [Theory]
    [InlineData(false, 1)]
    [InlineData(true, 2)]
    public void Decode_RandomSingleByteMutations_OnlyKeyFileException(bool sealedFile, int seed)
    {
        var image = Image(sealedFile);
        var random = new Random(seed);
        var reasons = new HashSet<KeyFileError>();
        for (var i = 0; i < 4000; i++)
        {
            var file = (byte[])image.Clone();
            // A quarter aim at the 11 header bytes, which are a small share of a hybrid file.
            file[random.Next(4) == 0 ? random.Next(11) : random.Next(file.Length)] ^= (byte)random.Next(1, 256);
            reasons.Add(Fails(file).Reason);
        }

        // The checksum catches what the header checks do not.
        Assert.Contains(KeyFileError.Corrupted, reasons);
        Assert.Contains(KeyFileError.WrongMagic, reasons);
        Assert.Contains(KeyFileError.UnsupportedVersion, reasons);
    }

    [Theory]
    [InlineData(false, false, 3)]
    [InlineData(true, false, 4)]
    [InlineData(false, true, 7)]
    [InlineData(true, true, 8)]
    public void Decode_MutationsWithRecomputedChecksum_OnlyKeyFileException(bool sealedFile, bool ed25519Only, int seed)
    {
        var image = Image(sealedFile, ed25519Only);
        var random = new Random(seed);
        var reasons = new HashSet<KeyFileError>();
        for (var i = 0; i < 1500; i++)
        {
            var file = (byte[])image.Clone();
            // Past the magic, version and flags, which the raw mutations already cover; one in eight on
            // the scheme byte, a single byte of a 2 KB file.
            file[random.Next(8) == 0 ? 10 : random.Next(10, file.Length - 32)] ^= (byte)random.Next(1, 256);
            FixChecksum(file);
            reasons.Add(Fails(file).Reason);
        }

        if (sealedFile)
        {
            // Any header change breaks the associated data; key changes break the key match.
            Assert.Contains(KeyFileError.WrongPassphrase, reasons);
        }

        Assert.Contains(KeyFileError.Corrupted, reasons);
        Assert.Contains(KeyFileError.UnsupportedScheme, reasons);
    }

    [Fact]
    public void Load_RandomSingleByteMutationsOnDisk_OnlyKeyFileException()
    {
        var image = Image(sealedFile: true);
        var random = new Random(5);
        for (var i = 0; i < 200; i++)
        {
            var file = (byte[])image.Clone();
            file[random.Next(file.Length)] ^= (byte)random.Next(1, 256);
            var path = WritePrivate($"m{i}.key", file);
            Assert.Throws<KeyFileException>(() => IdentityKeyFile.Load(path, Passphrase, Cheap).Dispose());
        }
    }

    [Fact]
    public void Decode_RandomFiles_OnlyKeyFileException()
    {
        var random = new Random(6);
        var magicAndVersion = Image(sealedFile: false).AsSpan(0, 11).ToArray();
        for (var i = 0; i < 5000; i++)
        {
            var file = new byte[random.Next(0, KeyFileFormat.MaxFileSize + 40)];
            random.NextBytes(file);
            if (random.Next(2) == 0)
            {
                // Half get a valid header prefix so they get past the first checks.
                magicAndVersion.AsSpan(0, Math.Min(file.Length, random.Next(8, 12))).CopyTo(file);
            }

            Fails(file);
        }
    }

    [Fact]
    public void Decode_HeaderFields_EachGivesItsReason()
    {
        var plain = Image(sealedFile: false);
        var sealedImage = Image(sealedFile: true);

        Assert.Equal(KeyFileError.WrongMagic, Fails(Mutated(plain, 0, 0x88)).Reason);
        Assert.Equal(KeyFileError.WrongMagic, Fails("not a key file at all"u8.ToArray()).Reason);
        Assert.Equal(KeyFileError.WrongMagic, Fails([0x89, (byte)'O', (byte)'X']).Reason);
        Assert.Equal(KeyFileError.UnsupportedVersion, Fails(Mutated(plain, 8, 3)).Reason);
        Assert.Equal(KeyFileError.UnsupportedVersion, Fails(Mutated(plain, 8, 0)).Reason);
        Assert.Equal(KeyFileError.Corrupted, Fails(Mutated(plain, 9, 0x02)).Reason);
        // Each version holds one scheme: a hybrid key labelled version 1, a scheme-1 byte in a version-2 file.
        Assert.Equal(KeyFileError.UnsupportedScheme, Fails(Mutated(plain, 8, 1)).Reason);
        Assert.Equal(KeyFileError.UnsupportedScheme, Fails(Mutated(plain, 10, 1)).Reason);
        Assert.Equal(KeyFileError.UnsupportedScheme, Fails(Mutated(plain, 10, 3)).Reason);
        Assert.Equal(KeyFileError.UnsupportedScheme, Fails(Mutated(plain, 10, 0)).Reason);
        var legacy = Image(sealedFile: false, ed25519Only: true);
        Assert.Equal(KeyFileError.UnsupportedScheme, Fails(Mutated(legacy, 10, 2)).Reason);
        Assert.Equal(KeyFileError.UnsupportedScheme, Fails(Mutated(legacy, 8, 2)).Reason);
        // The plain image read as sealed is too short; the sealed image read as plain too long.
        Assert.Equal(KeyFileError.Truncated, Fails(Mutated(plain, 9, 0x01)).Reason);
        Assert.Equal(KeyFileError.Corrupted, Fails(Mutated(sealedImage, 9, 0x00)).Reason);
        Assert.Equal(KeyFileError.Corrupted, Fails([.. plain, 0]).Reason);
        Assert.Equal(KeyFileError.Corrupted, Fails(new byte[KeyFileFormat.MaxFileSize + 1]).Reason);

        // Sealed-file key derivation block starts after the 1985-byte public key at offset 10.
        const int kdf = 10 + 1985;
        Assert.Equal(KeyFileError.UnsupportedKeyDerivation, Fails(Mutated(sealedImage, kdf, 2)).Reason);
        Assert.Equal(KeyFileError.Corrupted, Fails(WithUInt32(sealedImage, kdf + 1, 0)).Reason);
        Assert.Equal(KeyFileError.Corrupted, Fails(WithUInt32(sealedImage, kdf + 5, 7)).Reason);
        Assert.Equal(KeyFileError.UnsupportedKeyDerivation, Fails(WithUInt32(sealedImage, kdf + 1, 4)).Reason);
        Assert.Equal(KeyFileError.UnsupportedKeyDerivation, Fails(WithUInt32(sealedImage, kdf + 5, uint.MaxValue)).Reason);
        // A cost within limits but different from the one sealed under: the associated data catches it.
        Assert.Equal(KeyFileError.WrongPassphrase, Fails(WithUInt32(sealedImage, kdf + 1, 2)).Reason);
        Assert.Equal(KeyFileError.PassphraseRequired, Fails(sealedImage, passphrase: "").Reason);

        // The Ed25519 half of the secret with another ML-DSA seed (and the reverse) no longer matches the key.
        var secretAt = plain.Length - 32 - 64;
        Assert.Equal(KeyFileError.Corrupted, Fails(Mutated(plain, secretAt, (byte)(plain[secretAt] ^ 1))).Reason);
        Assert.Equal(KeyFileError.Corrupted, Fails(Mutated(plain, secretAt + 32, (byte)(plain[secretAt + 32] ^ 1))).Reason);

        // A valid key of another identity in front of this seed.
        using var other = NodeIdentity.Generate();
        var swapped = (byte[])plain.Clone();
        other.PublicKey.Encoded.CopyTo(swapped.AsSpan(10));
        FixChecksum(swapped);
        Assert.Equal(KeyFileError.Corrupted, Fails(swapped).Reason);
    }

    private static byte[] Mutated(byte[] image, int offset, byte value)
    {
        var file = (byte[])image.Clone();
        file[offset] = value;
        FixChecksum(file);
        return file;
    }

    private static byte[] WithUInt32(byte[] image, int offset, uint value)
    {
        var file = (byte[])image.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(offset), value);
        FixChecksum(file);
        return file;
    }
}
