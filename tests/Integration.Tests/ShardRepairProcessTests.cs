using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Overlay.Integration.Tests;

/// <summary>
/// Five real node processes on loopback with short maintenance intervals: a shard placed by one node
/// keeps being readable from a node that neither placed nor holds it while its holders' processes are
/// killed one after another, each kill followed by the owner's repair onto a new holder.
/// </summary>
public sealed class ShardRepairProcessTests : IDisposable
{
    private const int SigKill = 9;
    private const int SigTerm = 15;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan RepairDeadline = TimeSpan.FromSeconds(30);
    private readonly string _root = Directory.CreateTempSubdirectory("overlay-repair").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task FiveNodes_HoldersKilledOneByOne_ShardStillReadFromAnotherNode()
    {
        // Two replicas among three willing holders (C, D, E); A keeps nothing (it is the reader), B owns.
        const string maintenance = "\"Replicas\": 2, \"ProbeInterval\": \"00:00:00.5\", \"ProbeTimeout\": \"00:00:02\", \"AuditInterval\": \"00:00:10\", \"StreamTimeout\": \"00:00:10\"";
        var holderConfig = Path.Combine(_root, "holder.json");
        File.WriteAllText(holderConfig, "{ \"ShardExchange\": { " + maintenance + " } }");
        var readerConfig = Path.Combine(_root, "reader.json");
        File.WriteAllText(readerConfig, "{ \"ShardExchange\": { \"AcceptStores\": false, " + maintenance + " } }");
        var data = new byte[16 * 1024];
        new Random(55).NextBytes(data);
        var file = Path.Combine(_root, "shard.bin");
        File.WriteAllBytes(file, data);

        var nodes = new Dictionary<string, (NodeProcess Process, string Dir)>();
        try
        {
            var a = Path.Combine(_root, "a");
            var nodeA = NodeProcess.Start("run", "--data-dir", a, "--config", readerConfig, "--listen", "tcp://127.0.0.1:0");
            var bootstrap = NodeProcess.ListenAddressIn(await nodeA.WaitForLineAsync("Listening on", Timeout));
            await nodeA.WaitForLineAsync("running", Timeout);
            nodes[PeerOf(bootstrap)] = (nodeA, a);
            foreach (var name in new[] { "b", "c", "d", "e" })
            {
                var dir = Path.Combine(_root, name);
                var node = NodeProcess.Start("run", "--data-dir", dir, "--config", holderConfig, "--listen", "tcp://127.0.0.1:0", "--bootstrap", bootstrap);
                var id = PeerOf(NodeProcess.ListenAddressIn(await node.WaitForLineAsync("Listening on", Timeout)));
                await node.WaitForLineAsync("DHT joined", Timeout);
                nodes[id] = (node, dir);
            }

            var owner = Path.Combine(_root, "b");
            var put = await NodeProcess.RunAsync(Timeout, "shard", "put", file, "--data-dir", owner);
            Assert.True(put.ExitCode == 0, put.Output);
            var shard = put.Output.Trim().Split('\n')[0].Trim();
            var holders = await HoldersAsync(shard, owner);
            Assert.Equal(2, holders.Count);

            // Kill one original holder and wait for the owner to have the third willing node pull the
            // shard from the survivor; then kill the survivor too. Without the repair nothing would be left.
            var (first, second) = (holders[0], holders[1]);
            nodes[first].Process.Signal(SigKill);
            await nodes[first].Process.WaitForExitAsync(Timeout);
            var clock = Stopwatch.StartNew();
            List<string> repaired;
            while (true)
            {
                repaired = await HoldersAsync(shard, owner);
                if (repaired.Count == 2 && !repaired.Contains(first))
                {
                    break;
                }

                Assert.True(clock.Elapsed < RepairDeadline, $"no repair {RepairDeadline} after killing {first}; holders now: {string.Join(", ", repaired)}");
                await Task.Delay(250, TestContext.Current.CancellationToken);
            }

            var pulledBy = Assert.Single(repaired, h => h != second);
            nodes[second].Process.Signal(SigKill);
            await nodes[second].Process.WaitForExitAsync(Timeout);

            // Read through A, which neither placed nor holds the shard: it finds the new holder itself.
            var back = Path.Combine(_root, "back.bin");
            var get = await NodeProcess.RunAsync(Timeout, "shard", "get", shard, "-o", back, "--data-dir", Path.Combine(_root, "a"));
            Assert.True(get.ExitCode == 0, get.Output);
            Assert.Equal(data, File.ReadAllBytes(back));
            Assert.DoesNotContain(pulledBy, holders);

            foreach (var id in nodes.Keys.Where(id => id != first && id != second))
            {
                nodes[id].Process.Signal(SigTerm);
                Assert.Equal(0, await nodes[id].Process.WaitForExitAsync(TimeSpan.FromSeconds(15)));
            }
        }
        finally
        {
            foreach (var (process, _) in nodes.Values)
            {
                process.Dispose();
            }
        }
    }

    private static async Task<List<string>> HoldersAsync(string shard, string owner)
    {
        var status = await NodeProcess.RunAsync(Timeout, "shard", "status", shard, "--data-dir", owner);
        Assert.True(status.ExitCode == 0, status.Output);
        var json = JsonNode.Parse(status.Output[status.Output.IndexOf('{', StringComparison.Ordinal)..])!;
        return [.. json["holders"]!.AsArray().Select(h => h!["peerId"]!.GetValue<string>())];
    }

    private static string PeerOf(string address) => address[(address.LastIndexOf('/') + 1)..];
}
