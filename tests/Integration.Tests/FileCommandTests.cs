using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Overlay.Integration.Tests;

/// <summary>Real nodes on loopback: a file and a directory stored through one node's CLI are fetched, byte-identical, through another after two holders were killed.</summary>
public sealed partial class FileCommandTests : IDisposable
{
    private const int SigKill = 9;
    private const int SigTerm = 15;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly string _root = Directory.CreateTempSubdirectory("overlay-file").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task FiveNodes_StoreOnOne_KillTwoHolders_FetchFromAnother_IsByteIdentical()
    {
        var dirs = Enumerable.Range(0, 5).Select(i => Path.Combine(_root, "n" + i)).ToArray();
        var file = Path.Combine(_root, "data.bin");
        var data = new byte[3_000_001];
        new Random(19).NextBytes(data);
        File.WriteAllBytes(file, data);

        var nodes = new List<NodeProcess> { NodeProcess.Start("run", "--data-dir", dirs[0], "--listen", "tcp://127.0.0.1:0") };
        try
        {
            var bootstrap = NodeProcess.ListenAddressIn(await nodes[0].WaitForLineAsync("Listening on", Timeout));
            await nodes[0].WaitForLineAsync("running", Timeout);
            for (var i = 1; i < 5; i++)
            {
                nodes.Add(NodeProcess.Start("run", "--data-dir", dirs[i], "--listen", "tcp://127.0.0.1:0", "--bootstrap", bootstrap));
                await nodes[i].WaitForLineAsync("DHT joined", Timeout);
            }

            // The storing node knows all four others, so each stripe's 2 + 2 shards go to four distinct holders.
            await WaitForContactsAsync(dirs[4], 4);

            var store = await NodeProcess.RunAsync(Timeout, "store", file, "--code", "2+2", "--data-dir", dirs[4]);
            Assert.True(store.ExitCode == 0, store.Output);
            var id = ContentId().Match(store.Output).Value;
            Assert.Equal(64, id.Length);
            // Not a terminal: progress comes as plain lines.
            Assert.Contains("progress store-1 done", store.Output, StringComparison.Ordinal);

            // A directory: each file stored as content of its own, then the signed directory manifest.
            var tree = Path.Combine(_root, "tree");
            Directory.CreateDirectory(Path.Combine(tree, "sub", "deeper"));
            File.WriteAllBytes(Path.Combine(tree, "top.bin"), data.AsSpan(0, 70_000).ToArray());
            File.WriteAllText(Path.Combine(tree, "sub", "deeper", "note.txt"), "a note");
            File.WriteAllBytes(Path.Combine(tree, "sub", "empty"), []);
            var storeTree = await NodeProcess.RunAsync(Timeout, "store", tree, "--code", "2+2", "--data-dir", dirs[4]);
            Assert.True(storeTree.ExitCode == 0, storeTree.Output);
            var treeId = ContentId().Match(storeTree.Output).Value;
            var treeStatus = await NodeProcess.RunAsync(Timeout, "status", treeId, "--json", "--data-dir", dirs[4]);
            Assert.True(treeStatus.ExitCode == 0, treeStatus.Output);
            var treeEntries = JsonNode.Parse(treeStatus.Output)!["entries"]!.AsArray();
            Assert.Equal(["sub/deeper/note.txt", "sub/empty", "top.bin"], treeEntries.Select(e => e!["path"]!.GetValue<string>()));

            var ls = await NodeProcess.RunAsync(Timeout, "ls", "--json", "--data-dir", dirs[4]);
            Assert.True(ls.ExitCode == 0, ls.Output);
            var listed = JsonNode.Parse(ls.Output)!["content"]!.AsArray();
            Assert.Equal(5, listed.Count);
            Assert.Equal("directory", listed.Single(e => e!["id"]!.GetValue<string>() == treeId)!["kind"]!.GetValue<string>());
            var entry = listed.Single(e => e!["id"]!.GetValue<string>() == id)!;
            Assert.Equal(id, entry["id"]!.GetValue<string>());
            Assert.True(entry["pinned"]!.GetValue<bool>());

            var status = await NodeProcess.RunAsync(Timeout, "status", id, "--json", "--data-dir", dirs[4]);
            Assert.True(status.ExitCode == 0, status.Output);
            var stripes = JsonNode.Parse(status.Output)!["stripes"]!.AsArray();
            Assert.Equal(2, stripes.Count);
            Assert.All(stripes, s => Assert.Equal(2, s!["canLose"]!.GetValue<int>()));
            Assert.All(stripes, s => Assert.Equal(4, s!["holders"]!.GetValue<int>()));

            // Two holders die without a goodbye.
            foreach (var i in new[] { 2, 3 })
            {
                nodes[i].Signal(SigKill);
                await nodes[i].WaitForExitAsync(TimeSpan.FromSeconds(15));
            }

            var output = Path.Combine(_root, "back.bin");
            var fetch = await NodeProcess.RunAsync(Timeout, "fetch", id, "-o", output, "--data-dir", dirs[1]);
            Assert.True(fetch.ExitCode == 0, fetch.Output);
            Assert.Equal(data, File.ReadAllBytes(output));

            var range = await NodeProcess.RunAsync(Timeout, "fetch", id, "-o", output + ".part", "--range", "2097000-2097999", "--json", "--data-dir", dirs[1]);
            Assert.True(range.ExitCode == 0, range.Output);
            Assert.Equal(data.AsSpan(2_097_000, 1000).ToArray(), File.ReadAllBytes(output + ".part"));

            var treeBack = Path.Combine(_root, "tree-back");
            var fetchTree = await NodeProcess.RunAsync(Timeout, "fetch", treeId, "-o", treeBack, "--data-dir", dirs[1]);
            Assert.True(fetchTree.ExitCode == 0, fetchTree.Output);
            Assert.Equal(data.AsSpan(0, 70_000).ToArray(), File.ReadAllBytes(Path.Combine(treeBack, "top.bin")));
            Assert.Equal("a note", File.ReadAllText(Path.Combine(treeBack, "sub", "deeper", "note.txt")));
            Assert.Empty(File.ReadAllBytes(Path.Combine(treeBack, "sub", "empty")));

            var unpin = await NodeProcess.RunAsync(Timeout, "unpin", id, "--data-dir", dirs[4]);
            Assert.True(unpin.ExitCode == 0, unpin.Output);
            var missing = await NodeProcess.RunAsync(Timeout, "fetch", new string('0', 64), "-o", output + ".none", "--data-dir", dirs[1]);
            Assert.Equal(3, missing.ExitCode);
            Assert.False(File.Exists(output + ".none"));

            foreach (var i in new[] { 4, 1, 0 })
            {
                nodes[i].Signal(SigTerm);
                Assert.Equal(0, await nodes[i].WaitForExitAsync(TimeSpan.FromSeconds(15)));
            }
        }
        finally
        {
            foreach (var node in nodes)
            {
                node.Dispose();
            }
        }
    }

    private static async Task WaitForContactsAsync(string dataDirectory, int contacts)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (true)
        {
            var status = await NodeProcess.RunAsync(Timeout, "status", "--json", "--data-dir", dataDirectory);
            if (status.ExitCode == 0 && JsonNode.Parse(status.Output)?["dht"]?["contacts"]?.GetValue<int>() >= contacts)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, "the node did not learn of every other node: " + status.Output);
            await Task.Delay(500);
        }
    }

    [GeneratedRegex("(?m)^[0-9a-f]{64}$")]
    private static partial Regex ContentId();
}
