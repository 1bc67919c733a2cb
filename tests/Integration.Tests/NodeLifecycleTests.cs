namespace Overlay.Integration.Tests;

public sealed class NodeLifecycleTests : IDisposable
{
    private const int SigInt = 2;
    private const int SigTerm = 15;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);
    private readonly string _dataDir = Directory.CreateTempSubdirectory("overlay-node").FullName;

    public void Dispose() => Directory.Delete(_dataDir, recursive: true);

    [Theory]
    [InlineData(SigTerm)]
    [InlineData(SigInt)]
    public async Task Run_FreshDataDir_CreatesIdentityLogsPeerIdAndStopsCleanlyOnSignal(int signal)
    {
        using var node = NodeProcess.Start("run", "--data-dir", _dataDir);
        var running = await node.WaitForLineAsync("running", StartTimeout);
        var keyFile = Path.Combine(_dataDir, "identity.key");
        Assert.True(File.Exists(keyFile));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));

        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        node.Signal(signal);
        var code = await node.WaitForExitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, code);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(5), $"stopping took {stopwatch.Elapsed}");

        var (idCode, idOutput) = await NodeProcess.RunAsync(StartTimeout, "id", "--data-dir", _dataDir);
        Assert.Equal(0, idCode);
        var peerId = idOutput.Trim();
        Assert.Contains(peerId, running, StringComparison.Ordinal);
        Assert.Contains("Created a new identity", node.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Init_Twice_KeepsTheSameIdentity()
    {
        var (first, firstOutput) = await NodeProcess.RunAsync(StartTimeout, "init", "--data-dir", _dataDir);
        Assert.Equal(0, first);
        var (second, secondOutput) = await NodeProcess.RunAsync(StartTimeout, "init", "--data-dir", _dataDir);
        Assert.Equal(0, second);
        Assert.Contains("was kept", secondOutput, StringComparison.Ordinal);
        var (_, id) = await NodeProcess.RunAsync(StartTimeout, "id", "--data-dir", _dataDir);
        Assert.Contains(id.Trim(), firstOutput, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(_dataDir, "node.config.json")));
    }

    [Fact]
    public async Task Run_Ed25519OnlyKeyFile_IsMigratedAndLogsBothPeerIds()
    {
        // A version-1 key file as older builds wrote it, built here from its documented layout: magic,
        // version 1, flags 0, [1][Ed25519 public key], the seed, BLAKE3-256 of everything before.
        var seed = new byte[32];
        new Random(31).NextBytes(seed);
        using var key = Overlay.Crypto.Sodium.Key.Import(Overlay.Crypto.Sodium.Algorithm.Ed25519, seed);
        byte[] body = [0x89, (byte)'O', (byte)'V', (byte)'K', 0x0D, 0x0A, 0x1A, 0x0A, 1, 0, 1, .. key.PublicKey!.Bytes, .. seed];
        var checksum = new byte[32];
        Overlay.Crypto.Blake3.Hash(body, checksum);
        var keyFile = Path.Combine(_dataDir, "identity.key");
        await File.WriteAllBytesAsync(keyFile, [.. body, .. checksum], TestContext.Current.CancellationToken);
        File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var oldPeerId = Overlay.Crypto.PeerId.FromPublicKeyMaterial([1, .. key.PublicKey.Bytes]).ToString();

        // 'overlay id' reads the file as it is.
        var (idCode, idOutput) = await NodeProcess.RunAsync(StartTimeout, "id", "--data-dir", _dataDir);
        Assert.Equal(0, idCode);
        Assert.Equal(oldPeerId, idOutput.Trim());

        using (var node = NodeProcess.Start("run", "--data-dir", _dataDir))
        {
            await node.WaitForLineAsync("running", StartTimeout);
            node.Signal(SigTerm);
            Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromSeconds(10)));
            Assert.Contains("Migrated identity key file", node.Output, StringComparison.Ordinal);
            Assert.Contains("to hybrid Ed25519+ML-DSA-65", node.Output, StringComparison.Ordinal);
            Assert.Contains(oldPeerId, node.Output, StringComparison.Ordinal);
            var (_, newId) = await NodeProcess.RunAsync(StartTimeout, "id", "--data-dir", _dataDir);
            Assert.NotEqual(oldPeerId, newId.Trim());
            Assert.Contains(newId.Trim(), node.Output, StringComparison.Ordinal);
        }

        var migrated = await File.ReadAllBytesAsync(keyFile, TestContext.Current.CancellationToken);
        Assert.Equal(2, migrated[8]);
        Assert.Equal(key.PublicKey.Bytes, migrated.AsSpan(11, 32).ToArray());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
    }

    [Fact]
    public async Task Run_KeyFileReadableByOthers_IsRefusedWithoutReplacingIt()
    {
        Assert.Equal(0, (await NodeProcess.RunAsync(StartTimeout, "init", "--data-dir", _dataDir)).ExitCode);
        var keyFile = Path.Combine(_dataDir, "identity.key");
        var before = await File.ReadAllBytesAsync(keyFile, TestContext.Current.CancellationToken);
        File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        var (code, output) = await NodeProcess.RunAsync(StartTimeout, "run", "--data-dir", _dataDir);
        Assert.Equal(65, code);
        Assert.Contains(keyFile, output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(keyFile, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Run_CorruptedKeyFile_IsAnErrorNamingTheFile()
    {
        Assert.Equal(0, (await NodeProcess.RunAsync(StartTimeout, "init", "--data-dir", _dataDir)).ExitCode);
        var keyFile = Path.Combine(_dataDir, "identity.key");
        var bytes = await File.ReadAllBytesAsync(keyFile, TestContext.Current.CancellationToken);
        await File.WriteAllBytesAsync(keyFile, bytes[..(bytes.Length / 2)], TestContext.Current.CancellationToken);

        var (code, output) = await NodeProcess.RunAsync(StartTimeout, "run", "--data-dir", _dataDir);
        Assert.Equal(65, code);
        Assert.Contains(keyFile, output, StringComparison.Ordinal);
        Assert.Equal(bytes.Length / 2, new FileInfo(keyFile).Length);
    }

    [Fact]
    public async Task Run_InvalidConfigValue_StopsBeforeStartingWithOneSentence()
    {
        var config = Path.Combine(_dataDir, "bad.json");
        await File.WriteAllTextAsync(config, "{\"Node\":{\"ShutdownTimeoutSeconds\":600}}", TestContext.Current.CancellationToken);
        var (code, output) = await NodeProcess.RunAsync(StartTimeout, "run", "--data-dir", _dataDir, "--config", config);
        Assert.Equal(78, code);
        Assert.Equal("overlay: 'Node:ShutdownTimeoutSeconds' is 600; it must be between 1 and 60.", output.Trim());
        Assert.False(File.Exists(Path.Combine(_dataDir, "identity.key")));
    }

    [Theory]
    [InlineData("ListenAddresses")]
    [InlineData("BootstrapPeers")]
    public async Task Run_AddressListGivenAsOneString_StopsBeforeStartingWithExit78NamingKeyValueAndType(string key)
    {
        var config = Path.Combine(_dataDir, "string.json");
        await File.WriteAllTextAsync(config, $$"""{ "Transport": { "{{key}}": "tcp://127.0.0.1:23020" } }""", TestContext.Current.CancellationToken);
        var (code, output) = await NodeProcess.RunAsync(StartTimeout, "run", "--data-dir", _dataDir, "--config", config);
        Assert.Equal(78, code);
        Assert.Equal(
            $$"""overlay: In {{config}}, 'Transport:{{key}}' is the string "tcp://127.0.0.1:23020"; it must be a list in square brackets, each entry a string in quotes, such as ["tcp://127.0.0.1:23020"].""",
            output.Trim());
        Assert.False(File.Exists(Path.Combine(_dataDir, "identity.key")));
    }

    [Fact]
    public async Task Run_ListenPortInUse_IsExit78WithOneSentenceAndNoStackTrace()
    {
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;

        var (code, output) = await NodeProcess.RunAsync(StartTimeout, "run", "--data-dir", _dataDir, "--listen", $"tcp://127.0.0.1:{port}");

        Assert.Equal(78, code);
        var said = Assert.Single(output.Split('\n'), l => l.StartsWith("overlay:", StringComparison.Ordinal));
        Assert.StartsWith($"overlay: Cannot listen on tcp://127.0.0.1:{port}: Address already in use; ", said, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", output, StringComparison.Ordinal);
        Assert.DoesNotContain(" fail: ", output, StringComparison.Ordinal);
        Assert.DoesNotContain(" crit: ", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_UnknownConfigKey_IsWarnedAbout()
    {
        var config = Path.Combine(_dataDir, "typo.json");
        await File.WriteAllTextAsync(config, "{\"Node\":{\"Regoin\":\"eu\"}}", TestContext.Current.CancellationToken);
        using var node = NodeProcess.Start("run", "--data-dir", _dataDir, "--config", config);
        await node.WaitForLineAsync("running", StartTimeout);
        Assert.Contains("'Node:Regoin' is not a setting", node.Output, StringComparison.Ordinal);
        node.Signal(SigTerm);
        Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Hash_File_MatchesLibraryHash()
    {
        var file = Path.Combine(_dataDir, "data.bin");
        var bytes = new byte[300_000];
        new Random(5).NextBytes(bytes);
        await File.WriteAllBytesAsync(file, bytes, TestContext.Current.CancellationToken);
        var expected = new byte[32];
        Overlay.Crypto.Blake3.Hash(bytes, expected);

        var (code, output) = await NodeProcess.RunAsync(StartTimeout, "hash", file);
        Assert.Equal(0, code);
        Assert.Equal($"{Convert.ToHexStringLower(expected)}  {file}", output.Trim());
    }

    [Fact]
    public async Task Hash_MissingFile_IsOneSentenceAndExitOne()
    {
        var (code, output) = await NodeProcess.RunAsync(StartTimeout, "hash", Path.Combine(_dataDir, "nope"));
        Assert.Equal(1, code);
        Assert.StartsWith("overlay: cannot read", output.Trim(), StringComparison.Ordinal);
    }
}
