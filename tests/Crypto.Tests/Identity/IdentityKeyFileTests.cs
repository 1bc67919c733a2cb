using Overlay.Crypto.Sodium;

namespace Overlay.Crypto.Tests.Identity;

public sealed class IdentityKeyFileTests : IDisposable
{
    // Cheap Argon2id so the suite stays fast; the format and code paths are the same as with real costs.
    private static readonly IdentityKeyFileOptions Cheap = new()
    {
        KeyDerivation = new Argon2idParameters(1, 8 * 1024),
        MaxOpsLimit = 4,
        MaxMemoryBytes = 64 * 1024,
    };

    private readonly string _directory = Directory.CreateTempSubdirectory("overlay-keyfile-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string PathFor(string name) => Path.Combine(_directory, name);

    [Fact]
    public void CreateThenLoad_Plain_RoundTripsTheIdentity()
    {
        using var identity = NodeIdentity.FromRandom(new Random(1));
        var path = PathFor("node.key");
        IdentityKeyFile.Create(path, identity);
        using var loaded = IdentityKeyFile.Load(path, default);
        Assert.Equal(identity.PublicKey, loaded.PublicKey);
        Assert.Equal(identity.PublicKey, IdentityKeyFile.ReadPublicKey(path));
        Assert.Equal(IdentityScheme.HybridEd25519MlDsa65, loaded.Scheme);
        Assert.True(identity.PublicKey.Verify("m"u8, loaded.Sign("m"u8)));
        Assert.Equal(10 + 1985 + 64 + 32, new FileInfo(path).Length);
        Assert.Equal(IdentityKeyFile.FormatVersion, File.ReadAllBytes(path)[8]);
    }

    [Fact]
    public void CreateThenLoad_WithPassphrase_RoundTripsAndTheSeedIsNotInTheFile()
    {
        using var identity = NodeIdentity.FromRandom(new Random(2));
        var path = PathFor("sealed.key");
        IdentityKeyFile.Create(path, identity, "hunter2 ünïcode", Cheap);
        using var loaded = IdentityKeyFile.Load(path, "hunter2 ünïcode", Cheap);
        Assert.Equal(identity.PeerId, loaded.PeerId);
        Assert.True(identity.PublicKey.Verify("m"u8, loaded.Sign("m"u8)));
        Assert.Equal(identity.PeerId, IdentityKeyFile.ReadPublicKey(path).PeerId);

        var secret = new byte[64];
        identity.ExportSecret(secret);
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(KeyFileFormat.MaxFileSize, bytes.Length);
        Assert.True(bytes.AsSpan().IndexOf(secret.AsSpan(0, 32)) < 0, "The sealed file contains the Ed25519 seed in the clear.");
        Assert.True(bytes.AsSpan().IndexOf(secret.AsSpan(32)) < 0, "The sealed file contains the ML-DSA seed in the clear.");
    }

    [Fact]
    public void Create_WithPassphrase_TwiceGivesDifferentFiles()
    {
        using var identity = NodeIdentity.Generate();
        IdentityKeyFile.Create(PathFor("a.key"), identity, "pw", Cheap);
        IdentityKeyFile.Create(PathFor("b.key"), identity, "pw", Cheap);
        // Fresh salt and nonce per file.
        Assert.NotEqual(File.ReadAllBytes(PathFor("a.key")), File.ReadAllBytes(PathFor("b.key")));
    }

    [Fact]
    public void Load_WrongPassphrase_IsRefused()
    {
        using var identity = NodeIdentity.Generate();
        var path = PathFor("sealed.key");
        IdentityKeyFile.Create(path, identity, "right", Cheap);
        var e = Assert.Throws<KeyFileException>(() => IdentityKeyFile.Load(path, "wrong", Cheap));
        Assert.Equal(KeyFileError.WrongPassphrase, e.Reason);
        Assert.Contains(path, e.Message);
        Assert.Equal(path, e.FilePath);
        Assert.Equal(KeyFileError.WrongPassphrase, Assert.Throws<KeyFileException>(() => IdentityKeyFile.Load(path, "righT", Cheap)).Reason);
    }

    [Fact]
    public void Load_SealedFileWithoutPassphrase_SaysAPassphraseIsRequired()
    {
        using var identity = NodeIdentity.Generate();
        var path = PathFor("sealed.key");
        IdentityKeyFile.Create(path, identity, "pw", Cheap);
        var e = Assert.Throws<KeyFileException>(() => IdentityKeyFile.Load(path, default, Cheap));
        Assert.Equal(KeyFileError.PassphraseRequired, e.Reason);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Load_SealedFileAskingMoreThanTheLimits_IsRefusedBeforeDeriving()
    {
        using var identity = NodeIdentity.Generate();
        var path = PathFor("costly.key");
        IdentityKeyFile.Create(path, identity, "pw", Cheap with { KeyDerivation = new Argon2idParameters(2, 32 * 1024) });
        var strict = Cheap with { MaxOpsLimit = 1 };
        Assert.Equal(KeyFileError.UnsupportedKeyDerivation, Assert.Throws<KeyFileException>(() => IdentityKeyFile.Load(path, "pw", strict)).Reason);
        strict = Cheap with { MaxMemoryBytes = 16 * 1024 };
        Assert.Equal(KeyFileError.UnsupportedKeyDerivation, Assert.Throws<KeyFileException>(() => IdentityKeyFile.Load(path, "pw", strict)).Reason);
        using var loaded = IdentityKeyFile.Load(path, "pw", Cheap);
        Assert.Equal(identity.PeerId, loaded.PeerId);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Create_SetsMode0600AndLeavesNoTemporaryFile()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix file modes do not exist on Windows.");
        using var identity = NodeIdentity.Generate();
        var path = PathFor("node.key");
        IdentityKeyFile.Create(path, identity);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(new[] { path }, Directory.GetFiles(_directory));
    }

    [Theory]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, "0644")]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.GroupRead, "0440")]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherWrite, "0602")]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupExecute, "0610")]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Load_FileOpenToGroupOrOthers_IsRefusedNamingFileModeAndFix(UnixFileMode mode, string octal)
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix file modes do not exist on Windows.");
        using var identity = NodeIdentity.Generate();
        var path = PathFor("node.key");
        IdentityKeyFile.Create(path, identity);
        File.SetUnixFileMode(path, mode);
        var e = Assert.Throws<KeyFileException>(() => IdentityKeyFile.Load(path, default));
        Assert.Equal(KeyFileError.PermissionsTooOpen, e.Reason);
        Assert.Contains(path, e.Message);
        Assert.Contains(octal, e.Message);
        Assert.Contains($"chmod 600 {path}", e.Message);
        Assert.Equal(KeyFileError.PermissionsTooOpen, Assert.Throws<KeyFileException>(() => IdentityKeyFile.ReadPublicKey(path)).Reason);

        File.SetUnixFileMode(path, UnixFileMode.UserRead);
        using var loaded = IdentityKeyFile.Load(path, default);
        Assert.Equal(identity.PeerId, loaded.PeerId);
    }

    [Fact]
    public void Create_ExistingFile_IsNeverReplaced()
    {
        using var first = NodeIdentity.Generate();
        using var second = NodeIdentity.Generate();
        var path = PathFor("node.key");
        IdentityKeyFile.Create(path, first);
        var before = File.ReadAllBytes(path);
        var e = Assert.Throws<KeyFileException>(() => IdentityKeyFile.Create(path, second));
        Assert.Equal(KeyFileError.AlreadyExists, e.Reason);
        Assert.Contains(path, e.Message);
        Assert.Equal(before, File.ReadAllBytes(path));

        var other = PathFor("other.txt");
        File.WriteAllText(other, "not a key");
        Assert.Equal(KeyFileError.AlreadyExists, Assert.Throws<KeyFileException>(() => IdentityKeyFile.Create(other, second)).Reason);
        Assert.Equal("not a key", File.ReadAllText(other));
        Assert.Equal(2, Directory.GetFiles(_directory).Length);
    }

    [Fact]
    public void Create_InMissingDirectory_FailsWithIoError()
    {
        using var identity = NodeIdentity.Generate();
        var path = PathFor("missing/dir/node.key");
        Assert.Equal(KeyFileError.IoError, Assert.Throws<KeyFileException>(() => IdentityKeyFile.Create(path, identity)).Reason);
    }

    [Fact]
    public void Load_MissingFile_SaysNotFound()
    {
        var path = PathFor("absent.key");
        var e = Assert.Throws<KeyFileException>(() => IdentityKeyFile.Load(path, default));
        Assert.Equal(KeyFileError.NotFound, e.Reason);
        Assert.Contains(path, e.Message);
        Assert.Equal(KeyFileError.NotFound, Assert.Throws<KeyFileException>(() => IdentityKeyFile.Load(PathFor("no/such/dir.key"), default)).Reason);
    }

    [Fact]
    public void Load_Directory_FailsWithIoError()
    {
        var path = PathFor("dir.key");
        Directory.CreateDirectory(path);
        Assert.Equal(KeyFileError.IoError, Assert.Throws<KeyFileException>(() => IdentityKeyFile.Load(path, default)).Reason);
    }

    [Fact]
    public void Create_InvalidCost_Throws()
    {
        using var identity = NodeIdentity.Generate();
        Assert.Throws<ArgumentOutOfRangeException>(() => IdentityKeyFile.Create(PathFor("a"), identity, "pw", Cheap with { KeyDerivation = new Argon2idParameters(1, 8 * 1024 + 1) }));
        Assert.Throws<ArgumentOutOfRangeException>(() => IdentityKeyFile.Create(PathFor("a"), identity, "pw", Cheap with { KeyDerivation = new Argon2idParameters(8, 8 * 1024) }));
        Assert.Throws<ArgumentOutOfRangeException>(() => IdentityKeyFile.Create(PathFor("a"), identity, "pw", Cheap with { KeyDerivation = new Argon2idParameters(0, 8 * 1024) }));
        Assert.False(File.Exists(PathFor("a")));
        Assert.Throws<ArgumentException>(() => IdentityKeyFile.Create("", identity));
    }

    [Fact]
    public void DefaultOptions_CreateCostIsWithinLoadLimits()
    {
        var options = IdentityKeyFileOptions.Default;
        Assert.True(options.KeyDerivation.IsValid);
        Assert.True(options.KeyDerivation.OpsLimit <= options.MaxOpsLimit);
        Assert.True(options.KeyDerivation.MemoryBytes <= options.MaxMemoryBytes);
        Assert.Equal(0, options.KeyDerivation.MemoryBytes % 1024);
    }

    [Fact]
    public void LoadOrCreate_CreatesOnceThenLoadsTheSameIdentity()
    {
        var path = PathFor("node.key");
        using var first = IdentityKeyFile.LoadOrCreate(path, "pw", Cheap, out var result);
        Assert.Equal(new KeyFileLoadResult(Created: true, Migrated: false, PreviousPeerId: null), result);
        Assert.Equal(IdentityScheme.HybridEd25519MlDsa65, first.Scheme);
        using var second = IdentityKeyFile.LoadOrCreate(path, "pw", Cheap, out result);
        Assert.Equal(default, result);
        Assert.Equal(first.PeerId, second.PeerId);
    }

    [Fact]
    public void LoadOrCreate_ExistingBadFile_IsReportedNotReplaced()
    {
        var path = PathFor("node.key");
        using (var identity = NodeIdentity.Generate())
        {
            IdentityKeyFile.Create(path, identity, "pw", Cheap);
        }

        var before = File.ReadAllBytes(path);
        Assert.Equal(KeyFileError.WrongPassphrase, Assert.Throws<KeyFileException>(() => IdentityKeyFile.LoadOrCreate(path, "other", Cheap, out _)).Reason);
        File.WriteAllBytes(path, before.AsSpan(0, 50).ToArray());
        Assert.Equal(KeyFileError.Truncated, Assert.Throws<KeyFileException>(() => IdentityKeyFile.LoadOrCreate(path, "pw", Cheap, out _)).Reason);
        Assert.Single(Directory.GetFiles(_directory));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LoadOrCreate_Ed25519OnlyFile_IsMigratedKeepingTheEd25519Key(bool sealedFile)
    {
        var passphrase = sealedFile ? "old passphrase" : "";
        var path = PathFor("node.key");
        using var legacy = NodeIdentity.FromEd25519Seed(Convert.FromHexString("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
        IdentityKeyFile.Create(path, legacy, passphrase, Cheap);
        var before = File.ReadAllBytes(path);
        Assert.Equal(IdentityKeyFile.Ed25519FormatVersion, before[8]);
        Assert.Equal(sealedFile ? 172 : 107, before.Length);

        // A plain load (as 'overlay id' does) reads the old identity as it is and leaves the file alone.
        using (var old = IdentityKeyFile.Load(path, passphrase, Cheap))
        {
            Assert.Equal(IdentityScheme.Ed25519, old.Scheme);
            Assert.Equal(legacy.PeerId, old.PeerId);
        }

        Assert.Equal(legacy.PeerId, IdentityKeyFile.ReadPublicKey(path).PeerId);
        Assert.Equal(before, File.ReadAllBytes(path));

        using var migrated = IdentityKeyFile.LoadOrCreate(path, passphrase, Cheap, out var result);
        Assert.True(result.Migrated);
        Assert.False(result.Created);
        Assert.Equal(legacy.PeerId, result.PreviousPeerId);
        Assert.Equal(IdentityScheme.HybridEd25519MlDsa65, migrated.Scheme);
        Assert.NotEqual(legacy.PeerId, migrated.PeerId);
        Assert.True(migrated.PublicKey.Ed25519Key.SequenceEqual(legacy.PublicKey.Ed25519Key));
        Assert.True(migrated.PublicKey.Verify("m"u8, migrated.Sign("m"u8)));

        var after = File.ReadAllBytes(path);
        Assert.Equal(IdentityKeyFile.FormatVersion, after[8]);
        Assert.Equal(sealedFile ? 1 : 0, after[9]);
        Assert.Equal(sealedFile ? KeyFileFormat.MaxFileSize : 10 + 1985 + 64 + 32, after.Length);
        Assert.Equal(new[] { path }, Directory.GetFiles(_directory));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }

        if (sealedFile)
        {
            Assert.Equal(KeyFileError.PassphraseRequired, Assert.Throws<KeyFileException>(() => IdentityKeyFile.Load(path, default, Cheap)).Reason);
            Assert.Equal(KeyFileError.WrongPassphrase, Assert.Throws<KeyFileException>(() => IdentityKeyFile.Load(path, "other", Cheap)).Reason);
        }

        Assert.Equal(migrated.PeerId, IdentityKeyFile.ReadPublicKey(path).PeerId);
        using var reloaded = IdentityKeyFile.LoadOrCreate(path, passphrase, Cheap, out result);
        Assert.Equal(default, result);
        Assert.Equal(migrated.PeerId, reloaded.PeerId);
        Assert.True(migrated.PublicKey.Verify("m"u8, reloaded.Sign("m"u8)));
    }

    [Fact]
    public void LoadOrCreate_Ed25519OnlyFileWithWrongPassphrase_IsNotMigrated()
    {
        var path = PathFor("node.key");
        using var legacy = NodeIdentity.FromEd25519Seed(new byte[32]);
        IdentityKeyFile.Create(path, legacy, "right", Cheap);
        var before = File.ReadAllBytes(path);
        Assert.Equal(KeyFileError.WrongPassphrase, Assert.Throws<KeyFileException>(() => IdentityKeyFile.LoadOrCreate(path, "wrong", Cheap, out _)).Reason);
        Assert.Equal(KeyFileError.PassphraseRequired, Assert.Throws<KeyFileException>(() => IdentityKeyFile.LoadOrCreate(path, "", Cheap, out _)).Reason);
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(_directory));
    }

    [Fact]
    public void LoadOrCreate_MigratedFiles_FromOneOldFileGetIndependentMlDsaKeys()
    {
        // The ML-DSA seed added by a migration comes from the CSPRNG, not from the Ed25519 seed.
        using var legacy = NodeIdentity.FromEd25519Seed(new byte[32]);
        IdentityKeyFile.Create(PathFor("a.key"), legacy);
        IdentityKeyFile.Create(PathFor("b.key"), legacy);
        using var a = IdentityKeyFile.LoadOrCreate(PathFor("a.key"), default, Cheap, out var ra);
        using var b = IdentityKeyFile.LoadOrCreate(PathFor("b.key"), default, Cheap, out var rb);
        Assert.True(ra.Migrated && rb.Migrated);
        Assert.Equal(ra.PreviousPeerId, rb.PreviousPeerId);
        Assert.True(a.PublicKey.Ed25519Key.SequenceEqual(b.PublicKey.Ed25519Key));
        Assert.False(a.PublicKey.MlDsa65Key.SequenceEqual(b.PublicKey.MlDsa65Key));
    }
}
