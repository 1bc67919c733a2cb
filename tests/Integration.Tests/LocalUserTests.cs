namespace Overlay.Integration.Tests;

/// <summary>
/// A running node as other users of its host see it: its files are its own user's, other users are told
/// plainly that they cannot read its data directory, and none of them can keep its owner out of the
/// control API.
/// </summary>
public sealed class LocalUserTests : IDisposable
{
    private const int SigTerm = 15;
    private const UnixFileMode OwnerFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerDirectory = OwnerFile | UnixFileMode.UserExecute;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);
    private readonly string _root = Directory.CreateTempSubdirectory("overlay-users").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task Node_EveryFileItCreates_IsOwnerOnly_WhileRunningAndAfterStop()
    {
        var dir = Path.Combine(_root, "node");
        Assert.Equal(0, (await NodeProcess.RunAsync(Timeout, "init", "--data-dir", dir)).ExitCode);
        using (var node = NodeProcess.Start("run", "--data-dir", dir, "--listen", "tcp://127.0.0.1:0"))
        {
            await node.WaitForLineAsync("running", Timeout);
            // Writes through the control API and the DHT; whether the put reaches peers does not matter here.
            await NodeProcess.RunAsync(Timeout, "put", "k", "v", "--data-dir", dir);
            AssertOwnerOnly(dir, ["identity.key", "node.config.json", "control.token", "control.endpoint", "control.sock", "storage/shards.db", "storage/shards.db.lock"]);
            node.Signal(SigTerm);
            Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromSeconds(15)));
        }

        AssertOwnerOnly(dir, ["identity.key", "node.config.json", "dht.db", "storage/shards.db"]);
    }

    [Fact]
    public async Task Cli_AsAUserWhoCannotReadTheDataDirectory_SaysSo_WithExit77()
    {
        if (OtherUser.Unavailable is { } reason)
        {
            Assert.Skip(reason);
        }

        var dir = Path.Combine(_root, "private");
        using var node = NodeProcess.Start("run", "--data-dir", dir, "--listen", "tcp://127.0.0.1:0");
        await node.WaitForLineAsync("running", Timeout);

        foreach (var command in new[] { new[] { "get", "k" }, ["put", "k", "v"], ["peers"], ["id"], ["verify"] })
        {
            var (code, output) = await NodeProcess.RunAsAsync(OtherUser.Name, Timeout, [.. command, "--data-dir", dir]);
            Assert.True(code == 77, $"{command[0]}: exit {code}: {output}");
            Assert.Equal($"overlay: The data directory {dir} is not readable by this user ({OtherUser.Name}); run the command as the user that runs the node, or choose another --data-dir.", output.Trim());
        }

        node.Signal(SigTerm);
        Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromSeconds(15)));
    }

    [Fact]
    public async Task ControlApi_AnotherUserHoldingConnections_NeverLocksTheOwnerOut_AndCannotReachTheUnixSocketAtAll()
    {
        if (OtherUser.Unavailable is { } reason)
        {
            Assert.Skip(reason);
        }

        // Data directories every user may enter, so that only the control socket's own mode keeps them out.
        var open = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        var (unixDir, tcpDir) = (Path.Combine(_root, "unix"), Path.Combine(_root, "tcp"));
        Directory.CreateDirectory(unixDir, open);
        Directory.CreateDirectory(tcpDir, open);
        var tcpConfig = Path.Combine(_root, "tcp.json");
        File.WriteAllText(tcpConfig, """{ "Control": { "Socket": "Tcp" } }""");

        using var unixNode = NodeProcess.Start("run", "--data-dir", unixDir, "--listen", "tcp://127.0.0.1:0");
        using var tcpNode = NodeProcess.Start("run", "--data-dir", tcpDir, "--config", tcpConfig, "--listen", "tcp://127.0.0.1:0");
        await unixNode.WaitForLineAsync("running", Timeout);
        await tcpNode.WaitForLineAsync("running", Timeout);
        var probe = Path.Combine(AppContext.BaseDirectory, "Overlay.Node.ControlProbe.dll");

        // Over the Unix socket (the default) the other user cannot even connect.
        using (var attacker = NodeProcess.StartAs(OtherUser.Name, probe, null, "hold", $"unix:{Path.Combine(unixDir, "control.sock")}", "100", "60"))
        {
            Assert.Equal(1, await attacker.WaitForExitAsync(Timeout));
            Assert.Equal("refused AccessDenied", attacker.Output.Trim());
        }

        // Over loopback TCP every user can connect: 100 silent connections, more than both budgets hold...
        var endpoint = File.ReadAllText(Path.Combine(tcpDir, "control.endpoint")).Trim();
        using (var attacker = NodeProcess.StartAs(OtherUser.Name, probe, null, "hold", endpoint, "100", "60"))
        {
            await attacker.WaitForLineAsync("held 100", Timeout);

            // ...and still the owner is served, every time.
            for (var i = 0; i < 3; i++)
            {
                var (code, output) = await NodeProcess.RunAsync(Timeout, "peers", "--data-dir", tcpDir);
                Assert.True(code == 0, $"attempt {i}: exit {code}: {output}");
            }
        }

        var (unixCode, unixOutput) = await NodeProcess.RunAsync(Timeout, "peers", "--data-dir", unixDir);
        Assert.True(unixCode == 0, unixOutput);
        foreach (var node in new[] { unixNode, tcpNode })
        {
            node.Signal(SigTerm);
            Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromSeconds(15)));
        }
    }

    /// <summary>Every file and directory under <paramref name="dir"/> is its owner's alone, and each of <paramref name="expected"/> is there.</summary>
    private static void AssertOwnerOnly(string dir, string[] expected)
    {
        var found = new List<string>();
        Assert.Equal(OwnerDirectory, File.GetUnixFileMode(dir));
        foreach (var entry in new DirectoryInfo(dir).EnumerateFileSystemInfos("*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(dir, entry.FullName);
            found.Add(relative);
            var wanted = entry is DirectoryInfo ? OwnerDirectory : OwnerFile;
            Assert.True(entry.UnixFileMode == wanted, $"{relative} is {entry.UnixFileMode}, not {wanted}");
        }

        foreach (var name in expected)
        {
            Assert.Contains(name, found);
        }
    }
}
