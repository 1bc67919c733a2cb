using System.Text.Json.Nodes;
using Overlay.Node.Control;

namespace Overlay.Integration.Tests;

/// <summary>
/// What an acknowledged put is worth with real daemons: it survives SIGKILL, and a put the peers did not
/// take is a failure with its own exit code and the reason.
/// </summary>
public sealed class DurablePutTests : IDisposable
{
    private const int SigKill = 9;
    private const int SigTerm = 15;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);
    private readonly string _root = Directory.CreateTempSubdirectory("overlay-durable").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// A lone node takes puts from 8 control clients at once and is killed with SIGKILL while they run,
    /// three times over; after each restart with the same data directory it serves every put it had
    /// acknowledged before any kill.
    /// </summary>
    [Fact]
    public async Task LoneNode_KilledWhileTakingPuts_ServesEveryAcknowledgedPutAfterRestart()
    {
        var dir = Path.Combine(_root, "lone");
        var acknowledged = new Dictionary<string, string>();
        var random = new Random(81);
        for (var kill = 0; kill < 3; kill++)
        {
            using (var node = await StartAsync(dir))
            {
                await CheckAsync(dir, acknowledged, kill);
                using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
                var progress = new Progress(acknowledged, (kill + 1) * 40);
                var clients = Enumerable.Range(0, 8).Select(c => PutUntilKilledAsync(dir, $"kill {kill} client {c}", progress, stop.Token)).ToList();

                // Kill at a random moment once puts are being acknowledged, so the kill lands among commits.
                await progress.Reached.WaitAsync(Timeout, Ct);
                await Task.Delay(random.Next(0, 300), Ct);
                node.Signal(SigKill);
                await node.WaitForExitAsync(Timeout);
                await stop.CancelAsync();
                await Task.WhenAll(clients);
            }
        }

        using (var last = await StartAsync(dir))
        {
            await CheckAsync(dir, acknowledged, 3);
            last.Signal(SigTerm);
            Assert.Equal(0, await last.WaitForExitAsync(TimeSpan.FromSeconds(15)));
        }

        Assert.True(acknowledged.Count >= 120, $"only {acknowledged.Count} puts were acknowledged");
    }

    /// <summary>
    /// The README's promise: SIGTERM stops the node within <c>Node:ShutdownTimeoutSeconds</c> (5 s) even
    /// while 8 control clients keep it busy with puts, with exit 0, and every put it acknowledged before
    /// the signal is served after a restart.
    /// </summary>
    [Fact]
    public async Task LoneNode_StoppedWhileTakingPuts_ExitsCleanlyWithinTheShutdownTimeoutAndKeepsEveryAcknowledgedPut()
    {
        var dir = Path.Combine(_root, "stopped");
        var acknowledged = new Dictionary<string, string>();
        using (var node = await StartAsync(dir))
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            var progress = new Progress(acknowledged, 80);
            var clients = Enumerable.Range(0, 8).Select(c => PutUntilKilledAsync(dir, $"client {c}", progress, stop.Token)).ToList();
            await progress.Reached.WaitAsync(Timeout, Ct);

            var signalled = System.Diagnostics.Stopwatch.StartNew();
            node.Signal(SigTerm);
            var code = await node.WaitForExitAsync(Timeout);
            var stopping = signalled.Elapsed;
            await stop.CancelAsync();
            await Task.WhenAll(clients);

            Assert.Equal(0, code);
            // 5 s is the node's own bound; the rest is the runtime's exit on a machine that may be busy.
            Assert.True(stopping < TimeSpan.FromSeconds(7), $"stopping under load took {stopping}");
        }

        using (var again = await StartAsync(dir))
        {
            await CheckAsync(dir, acknowledged, 1);
            again.Signal(SigTerm);
            Assert.Equal(0, await again.WaitForExitAsync(TimeSpan.FromSeconds(15)));
        }
    }

    /// <summary>
    /// A node whose only peer is gone: the put is not acknowledged (exit 75, not 0) and says why, in
    /// words and, with --json, as typed fields.
    /// </summary>
    [Fact]
    public async Task Put_WhenThePeersDoNotTakeIt_IsExit75WithTheReasons()
    {
        // A short retry window keeps the test short; the default is 30 s.
        var config = Path.Combine(_root, "quick.json");
        File.WriteAllText(config, """{ "Dht": { "PutRetryTimeout": "00:00:02", "RequestTimeout": "00:00:01" }, "DhtHost": { "MaxJoinRetryDelay": "00:00:02" } }""");
        var (a, b) = (Path.Combine(_root, "a"), Path.Combine(_root, "b"));
        using var nodeA = NodeProcess.Start("run", "--data-dir", a, "--config", config, "--listen", "tcp://127.0.0.1:0");
        var line = await nodeA.WaitForLineAsync("Listening on", Timeout);
        var bootstrap = line[(line.IndexOf("Listening on ", StringComparison.Ordinal) + "Listening on ".Length)..].Trim();
        await nodeA.WaitForLineAsync("running", Timeout);
        using var nodeB = NodeProcess.Start("run", "--data-dir", b, "--config", config, "--listen", "tcp://127.0.0.1:0", "--bootstrap", bootstrap);
        await nodeB.WaitForLineAsync("DHT joined", Timeout);

        var ok = await NodeProcess.RunAsync(Timeout, "put", "--data-dir", b, "reached", "a took it");
        Assert.True(ok.ExitCode == 0, ok.Output);
        Assert.Contains("on 1 peer(s) and this node (1 required)", ok.Output, StringComparison.Ordinal);

        nodeA.Signal(SigKill);
        await nodeA.WaitForExitAsync(Timeout);
        var failed = await NodeProcess.RunAsync(Timeout, "put", "--data-dir", b, "unreached", "nobody took it");
        Assert.True(failed.ExitCode == 75, failed.Output);
        Assert.Contains("Only 0 of the 1 peers a put needs accepted the value", failed.Output, StringComparison.Ordinal);
        Assert.Contains("1 NoAnswer", failed.Output, StringComparison.Ordinal);

        var json = await NodeProcess.RunAsync(Timeout, "put", "--json", "--data-dir", b, "unreached", "nobody took it");
        Assert.Equal(75, json.ExitCode);
        var reply = JsonNode.Parse(json.Output[json.Output.IndexOf('{', StringComparison.Ordinal)..json.Output.LastIndexOf('}')] + "}")!.AsObject();
        Assert.Equal("TooFewReplicas", reply["error"]!.GetValue<string>());
        Assert.Equal(0, reply["storedOn"]!.GetValue<int>());
        Assert.Equal(1, reply["required"]!.GetValue<int>());
        Assert.Equal(1, reply["refusals"]!["NoAnswer"]!.GetValue<int>());

        // The node kept it: a put that failed for want of peers is still served by the node that took it.
        var get = await NodeProcess.RunAsync(Timeout, "get", "--data-dir", b, "unreached");
        Assert.True(get.ExitCode == 0, get.Output);
        Assert.Equal("nobody took it", get.Output.Trim());
        nodeB.Signal(SigTerm);
        Assert.Equal(0, await nodeB.WaitForExitAsync(TimeSpan.FromSeconds(15)));
    }

    private static async Task<NodeProcess> StartAsync(string dir)
    {
        var node = NodeProcess.Start("run", "--data-dir", dir, "--listen", "tcp://127.0.0.1:0");
        await node.WaitForLineAsync("Control API on", Timeout);
        await node.WaitForLineAsync("running", Timeout);
        return node;
    }

    /// <summary>Puts distinct keys one after another until the daemon dies; records each put it acknowledged.</summary>
    private static async Task PutUntilKilledAsync(string dir, string prefix, Progress progress, CancellationToken stop)
    {
        try
        {
            var client = await ControlClient.ConnectAsync(dir, Timeout, stop);
            await using (client)
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    var (key, value) = ($"{prefix} put {i}", $"value {i} of {prefix}");
                    await client.SendAsync(new JsonObject { ["command"] = "put", ["key"] = key, ["value"] = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(value)) }, stop);
                    progress.Acknowledged(key, value);
                }
            }
        }
        catch (Exception e) when (e is ControlClientException or OperationCanceledException or IOException)
        {
            // The daemon was killed: whatever was in flight was never acknowledged.
        }
    }

    private static async Task CheckAsync(string dir, Dictionary<string, string> acknowledged, int restart)
    {
        var client = await ControlClient.ConnectAsync(dir, Timeout, Ct);
        await using (client)
        {
            foreach (var (key, value) in acknowledged)
            {
                JsonObject reply;
                try
                {
                    reply = await client.SendAsync(new JsonObject { ["command"] = "get", ["key"] = key }, Ct);
                }
                catch (ControlClientException e)
                {
                    throw new Xunit.Sdk.XunitException($"After restart {restart}, acknowledged put '{key}' is lost: {e.Message} ({acknowledged.Count} acknowledged in all).");
                }

                Assert.Equal(value, System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(reply["value"]!.GetValue<string>())));
            }
        }
    }

    /// <summary>The puts acknowledged so far, and a signal once there are enough of them to kill the daemon.</summary>
    private sealed class Progress(Dictionary<string, string> acknowledged, int enough)
    {
        private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Reached => _reached.Task;

        public void Acknowledged(string key, string value)
        {
            lock (acknowledged)
            {
                acknowledged[key] = value;
                if (acknowledged.Count >= enough)
                {
                    _reached.TrySetResult();
                }
            }
        }
    }
}
