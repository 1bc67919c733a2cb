using System.Net;
using System.Net.Sockets;

namespace Overlay.Integration.Tests;

/// <summary>Real nodes on loopback driven through overlay put, get and peers, across a restart.</summary>
public sealed class DhtCommandTests : IDisposable
{
    private const int SigTerm = 15;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);
    private readonly string _root = Directory.CreateTempSubdirectory("overlay-dht").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task ThreeNodes_PutOnOneGetOnAnother_ThenRestartWithoutTheBootstrapNode_RejoinFromSavedContacts()
    {
        // Quick join retries keep the restart phase short; everything else is the embedded default.
        var config = Path.Combine(_root, "fast.json");
        File.WriteAllText(config, """{ "DhtHost": { "MaxJoinRetryDelay": "00:00:02" } }""");
        var (a, b, c) = (Path.Combine(_root, "a"), Path.Combine(_root, "b"), Path.Combine(_root, "c"));
        // Fixed ports for b and c: after the restart their saved contacts must still point at each other.
        var (portB, portC) = (FreePort(), FreePort());

        string bootstrap, idB, idC;
        using (var nodeA = NodeProcess.Start("run", "--data-dir", a, "--config", config, "--listen", "tcp://127.0.0.1:0"))
        {
            bootstrap = ListenAddress(await nodeA.WaitForLineAsync("Listening on", Timeout));
            await nodeA.WaitForLineAsync("running", Timeout);
            var idA = PeerOf(bootstrap);

            using var nodeB = NodeProcess.Start("run", "--data-dir", b, "--config", config, "--listen", $"tcp://127.0.0.1:{portB}", "--bootstrap", bootstrap);
            idB = PeerOf(ListenAddress(await nodeB.WaitForLineAsync("Listening on", Timeout)));
            await nodeB.WaitForLineAsync("DHT joined", Timeout);
            using var nodeC = NodeProcess.Start("run", "--data-dir", c, "--config", config, "--listen", $"tcp://127.0.0.1:{portC}", "--bootstrap", bootstrap);
            idC = PeerOf(ListenAddress(await nodeC.WaitForLineAsync("Listening on", Timeout)));
            await nodeC.WaitForLineAsync("DHT joined", Timeout);

            var put = await NodeProcess.RunAsync(Timeout, "put", "greeting", "hello from b", "--data-dir", b);
            Assert.True(put.ExitCode == 0, put.Output);
            Assert.Contains("Stored 12 bytes under key", put.Output, StringComparison.Ordinal);

            var get = await NodeProcess.RunAsync(Timeout, "get", "greeting", "--data-dir", c);
            Assert.True(get.ExitCode == 0, get.Output);
            Assert.Equal("hello from b", get.Output.Trim());

            var missing = await NodeProcess.RunAsync(Timeout, "get", "no such key", "--data-dir", a);
            Assert.Equal(3, missing.ExitCode);

            var peers = await NodeProcess.RunAsync(Timeout, "peers", "--data-dir", b);
            Assert.True(peers.ExitCode == 0, peers.Output);
            Assert.Contains(idA, peers.Output, StringComparison.Ordinal);
            Assert.Contains(idC, peers.Output, StringComparison.Ordinal);
            Assert.Contains($"tcp://127.0.0.1:{portC}", peers.Output, StringComparison.Ordinal);

            foreach (var node in new[] { nodeC, nodeB, nodeA })
            {
                node.Signal(SigTerm);
                Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromSeconds(15)));
            }
        }

        Assert.True(File.Exists(Path.Combine(b, "dht.db")));
        Assert.False(File.Exists(Path.Combine(b, "control.token")));

        // The bootstrap node is gone for good; b and c come back on their old ports and find each other
        // through the contacts they saved.
        using var againB = NodeProcess.Start("run", "--data-dir", b, "--config", config, "--listen", $"tcp://127.0.0.1:{portB}", "--bootstrap", bootstrap);
        using var againC = NodeProcess.Start("run", "--data-dir", c, "--config", config, "--listen", $"tcp://127.0.0.1:{portC}", "--bootstrap", bootstrap);
        var loaded = await againC.WaitForLineAsync("Loaded DHT state", Timeout);
        Assert.Contains("1 records kept", loaded, StringComparison.Ordinal);
        await againB.WaitForLineAsync("DHT joined", Timeout);
        await againC.WaitForLineAsync("DHT joined", Timeout);

        var after = await NodeProcess.RunAsync(Timeout, "get", "greeting", "--data-dir", c);
        Assert.True(after.ExitCode == 0, after.Output);
        Assert.Equal("hello from b", after.Output.Trim());
        var peersAfter = await NodeProcess.RunAsync(Timeout, "peers", "--data-dir", c);
        var lineB = Assert.Single(peersAfter.Output.Split('\n'), l => l.StartsWith(idB, StringComparison.Ordinal));
        Assert.Contains($"tcp://127.0.0.1:{portB}", lineB, StringComparison.Ordinal);

        againB.Signal(SigTerm);
        againC.Signal(SigTerm);
        Assert.Equal(0, await againB.WaitForExitAsync(TimeSpan.FromSeconds(15)));
        Assert.Equal(0, await againC.WaitForExitAsync(TimeSpan.FromSeconds(15)));
    }

    [Fact]
    public async Task Run_WithACorruptedDhtDb_StartsReportsItAndReplacesIt()
    {
        var dir = Path.Combine(_root, "x");
        Directory.CreateDirectory(dir);
        var random = new Random(77);
        var garbage = new byte[4096];
        random.NextBytes(garbage);
        File.WriteAllBytes(Path.Combine(dir, "dht.db"), garbage);

        using var node = NodeProcess.Start("run", "--data-dir", dir, "--listen", "tcp://127.0.0.1:0");
        var problem = await node.WaitForLineAsync("DHT state problem", Timeout);
        Assert.Contains("FileCorrupt", problem, StringComparison.Ordinal);
        await node.WaitForLineAsync("running", Timeout);
        var peers = await NodeProcess.RunAsync(Timeout, "peers", "--data-dir", dir);
        Assert.True(peers.ExitCode == 0, peers.Output);
        Assert.Contains("0 peer(s)", peers.Output, StringComparison.Ordinal);

        node.Signal(SigTerm);
        Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromSeconds(15)));
        Assert.True(File.Exists(Path.Combine(dir, "dht.db.corrupt")));
        Assert.NotEqual(garbage, File.ReadAllBytes(Path.Combine(dir, "dht.db")));
    }

    [Theory]
    [InlineData("""{ "Dht": { "K": 0 } }""", "overlay: Dht:K is 0; it must be between 1 and 256.")]
    [InlineData("""{ "Control": { "Port": -1 } }""", "overlay: 'Control:Port' is -1; it must be between 0 and 65535.")]
    [InlineData("""{ "DhtHost": { "MaintenanceInterval": "later" } }""", "overlay: 'DhtHost:MaintenanceInterval' is 'later'; it must be a duration such as 00:00:30.")]
    public async Task Run_BadDhtOrControlSetting_StopsBeforeListeningWithExit78(string json, string expected)
    {
        var config = Path.Combine(_root, "bad.json");
        File.WriteAllText(config, json);
        var (code, output) = await NodeProcess.RunAsync(Timeout, "run", "--data-dir", Path.Combine(_root, "bad"), "--config", config, "--listen", "tcp://127.0.0.1:0");
        Assert.Equal(78, code);
        Assert.Equal(expected, output.Trim());
    }

    [Fact]
    public async Task Put_WithoutARunningNode_IsOneSentenceAndExit69()
    {
        var (code, output) = await NodeProcess.RunAsync(Timeout, "put", "k", "v", "--data-dir", Path.Combine(_root, "none"));
        Assert.Equal(69, code);
        Assert.Contains("No overlay daemon is running", output, StringComparison.Ordinal);
        Assert.Single(output.Trim().Split('\n'));
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private static string ListenAddress(string line) => line[(line.IndexOf("Listening on ", StringComparison.Ordinal) + "Listening on ".Length)..].Trim();

    private static string PeerOf(string address) => address[(address.LastIndexOf('/') + 1)..];
}
