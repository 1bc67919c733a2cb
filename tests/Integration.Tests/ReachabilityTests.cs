using System.Text.Json.Nodes;

namespace Overlay.Integration.Tests;

/// <summary>
/// Real daemons on loopback asking each other to dial back: a node announcing a port nothing listens on (a NAT
/// without a forward) runs as a DHT client, and its status and doctor say so; a node announcing its real address
/// is reachable and stays a DHT server.
/// </summary>
public sealed class ReachabilityTests : IDisposable
{
    private const int SigTerm = 15;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    // A verdict needs the start, the join and a check; a check no peer answered (peers still starting, a loaded
    // host) is repeated a minute later, so the bound leaves room for that retry.
    private static readonly TimeSpan VerdictTimeout = TimeSpan.FromMinutes(3);
    private readonly string _root = Directory.CreateTempSubdirectory("overlay-reach").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task Run_AnnouncingAnAddressNoPeerCanDial_RunsAsDhtClient_AndDoctorFailsReachability()
    {
        var closed = NodeProcess.FreePort();
        var hiddenConfig = Path.Combine(_root, "hidden.json");
        // A join attempt that meets a peer still starting is retried within seconds, not after the backoff's minute.
        File.WriteAllText(hiddenConfig, $$"""{ "DhtHost": { "AnnounceAddress": "tcp://127.0.0.1:{{closed}}", "MaxJoinRetryDelay": "00:00:05" }, "Metrics": { "Listen": "" } }""");
        var plainConfig = Path.Combine(_root, "plain.json");
        File.WriteAllText(plainConfig, """{ "DhtHost": { "MaxJoinRetryDelay": "00:00:05" }, "Metrics": { "Listen": "" } }""");
        var hiddenDir = Path.Combine(_root, "hidden");
        var openDir = Path.Combine(_root, "open");

        using var seed = NodeProcess.Start("run", "--data-dir", Path.Combine(_root, "seed"), "--config", plainConfig, "--listen", "tcp://127.0.0.1:0");
        var seedAddress = NodeProcess.ListenAddressIn(await seed.WaitForLineAsync("Listening on", Timeout));
        await seed.WaitForLineAsync("running", Timeout);
        using var hidden = NodeProcess.Start("run", "--data-dir", hiddenDir, "--config", hiddenConfig, "--listen", "tcp://127.0.0.1:0", "--bootstrap", seedAddress);
        using var open = NodeProcess.Start("run", "--data-dir", openDir, "--config", plainConfig, "--listen", "tcp://127.0.0.1:0", "--bootstrap", seedAddress);

        var warning = await hidden.WaitForLineAsync("running as a DHT client", VerdictTimeout);
        Assert.Contains($"tcp://127.0.0.1:{closed}", warning, StringComparison.Ordinal);
        // Doctor answers a check younger than a minute as it is: wait for the one that found the open node reachable.
        var openListen = NodeProcess.ListenAddressIn(await open.WaitForLineAsync("Listening on", Timeout));
        var openAnnounced = openListen[..openListen.IndexOf("/p2p/", StringComparison.Ordinal)];
        await open.WaitForLineAsync($"Peers dialled {openAnnounced} back", VerdictTimeout);

        var status = await NodeProcess.RunAsync(Timeout, "status", "--json", "--data-dir", hiddenDir);
        Assert.True(status.ExitCode == 0, status.Output);
        var reach = JsonNode.Parse(status.Output)!["reachability"]!;
        Assert.Equal("unreachable", reach["verdict"]!.GetValue<string>());
        Assert.Equal("client", reach["dhtMode"]!.GetValue<string>());

        var doctor = await NodeProcess.RunAsync(Timeout, "doctor", "--json", "--data-dir", hiddenDir, "--config", hiddenConfig);
        var checks = Checks(doctor.Output);
        Assert.Equal(1, doctor.ExitCode);
        Assert.Equal("failed", checks["reachability"]);
        Assert.Equal("warning", checks["nat"]);
        Assert.Equal("warning", checks["routing-table"]); // two contacts, fewer than 8
        Assert.Equal("ok", checks["clock-skew"]); // one host, one clock

        // The node that announces where it listens: dialled back, a DHT server.
        var good = await NodeProcess.RunAsync(Timeout, "doctor", "--json", "--data-dir", openDir, "--config", plainConfig);
        var goodChecks = Checks(good.Output);
        Assert.Equal("ok", goodChecks["reachability"]);
        Assert.Equal("ok", goodChecks["nat"]);

        foreach (var node in new[] { hidden, open, seed })
        {
            node.Signal(SigTerm);
            Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromSeconds(15)));
        }
    }

    private static Dictionary<string, string> Checks(string output)
    {
        var start = output.IndexOf('{', StringComparison.Ordinal);
        Assert.True(start >= 0, output);
        return JsonNode.Parse(output[start..])!["checks"]!.AsArray()
            .ToDictionary(c => c!["check"]!.GetValue<string>(), c => c!["verdict"]!.GetValue<string>());
    }
}
