namespace Overlay.Integration.Tests;

/// <summary>Real nodes on loopback: a shard put through one node's CLI is fetched, verified, through another's.</summary>
public sealed class ShardCommandTests : IDisposable
{
    private const int SigTerm = 15;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly string _root = Directory.CreateTempSubdirectory("overlay-shard").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task ThreeNodes_PutOnOne_GetFromAnotherThroughTheHolder_StatusAndAuditOnTheOwner()
    {
        // One replica, so exactly one other node holds the shard and a third has to fetch it over the network.
        var config = Path.Combine(_root, "one-replica.json");
        File.WriteAllText(config, """{ "ShardExchange": { "Replicas": 1 } }""");
        var (a, b, c) = (Path.Combine(_root, "a"), Path.Combine(_root, "b"), Path.Combine(_root, "c"));
        var file = Path.Combine(_root, "shard.bin");
        var data = new byte[300_000];
        new Random(18).NextBytes(data);
        File.WriteAllBytes(file, data);

        using var nodeA = NodeProcess.Start("run", "--data-dir", a, "--config", config, "--listen", "tcp://127.0.0.1:0");
        var bootstrap = ListenAddress(await nodeA.WaitForLineAsync("Listening on", Timeout));
        await nodeA.WaitForLineAsync("running", Timeout);
        using var nodeB = NodeProcess.Start("run", "--data-dir", b, "--config", config, "--listen", "tcp://127.0.0.1:0", "--bootstrap", bootstrap);
        await nodeB.WaitForLineAsync("DHT joined", Timeout);
        using var nodeC = NodeProcess.Start("run", "--data-dir", c, "--config", config, "--listen", "tcp://127.0.0.1:0", "--bootstrap", bootstrap);
        var idC = PeerOf(ListenAddress(await nodeC.WaitForLineAsync("Listening on", Timeout)));
        await nodeC.WaitForLineAsync("DHT joined", Timeout);

        var put = await NodeProcess.RunAsync(Timeout, "shard", "put", file, "--data-dir", b);
        Assert.True(put.ExitCode == 0, put.Output);
        var lines = put.Output.Trim().Split('\n');
        var id = lines[0].Trim();
        Assert.Equal(64, id.Length);
        Assert.Contains("Stored 300000 bytes on 1 holder(s)", put.Output, StringComparison.Ordinal);
        var holder = lines[2].Trim().Split(' ')[0];

        // The receipt is kept on disk by the owner.
        Assert.True(File.Exists(Path.Combine(b, "owned-shards", id + ".json")));

        // Fetched through a node that neither placed nor holds it.
        var fetcher = holder == idC ? a : c;
        var output = Path.Combine(_root, "back.bin");
        var get = await NodeProcess.RunAsync(Timeout, "shard", "get", id, "-o", output, "--data-dir", fetcher);
        Assert.True(get.ExitCode == 0, get.Output);
        Assert.Equal(data, File.ReadAllBytes(output));

        var audit = await NodeProcess.RunAsync(Timeout, "shard", "audit", id, "--data-dir", b);
        Assert.True(audit.ExitCode == 0, audit.Output);
        Assert.Contains("\"lastAuditPassed\": true", audit.Output, StringComparison.Ordinal);
        var status = await NodeProcess.RunAsync(Timeout, "shard", "status", id, "--data-dir", b);
        Assert.True(status.ExitCode == 0, status.Output);
        Assert.Contains(holder, status.Output, StringComparison.Ordinal);
        Assert.Contains("\"sequence\"", status.Output, StringComparison.Ordinal);

        var missing = await NodeProcess.RunAsync(Timeout, "shard", "get", new string('0', 64), "--data-dir", c);
        Assert.Equal(3, missing.ExitCode);
        var bad = await NodeProcess.RunAsync(Timeout, "shard", "get", "not-an-id", "--data-dir", c);
        Assert.Equal(64, bad.ExitCode);

        foreach (var node in new[] { nodeC, nodeB, nodeA })
        {
            node.Signal(SigTerm);
            Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromSeconds(15)));
        }
    }

    private static string ListenAddress(string line) => line[(line.IndexOf("Listening on ", StringComparison.Ordinal) + "Listening on ".Length)..].Trim();

    private static string PeerOf(string address) => address[(address.LastIndexOf('/') + 1)..];
}
