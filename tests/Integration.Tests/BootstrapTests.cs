namespace Overlay.Integration.Tests;

/// <summary>Bootstrapping through an address without a PeerId: trusted on first use, remembered, held to.</summary>
public sealed class BootstrapTests : IDisposable
{
    private const int SigTerm = 15;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);
    private readonly string _root = Directory.CreateTempSubdirectory("overlay-tofu").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task Run_BootstrapWithoutPeerId_JoinsThroughTheProvedIdentity_AndLaterRefusesAnotherAtThatAddress()
    {
        // Quick join retries keep the refusal phase short; everything else is the embedded default.
        var config = Path.Combine(_root, "fast.json");
        File.WriteAllText(config, """{ "DhtHost": { "MaxJoinRetryDelay": "00:00:02" } }""");
        var port = NodeProcess.FreePort();
        var unpinned = $"tcp://127.0.0.1:{port}";
        var b = Path.Combine(_root, "b");

        string idA;
        using (var nodeA = NodeProcess.Start("run", "--data-dir", Path.Combine(_root, "a"), "--config", config, "--listen", unpinned))
        {
            idA = PeerOf(NodeProcess.ListenAddressIn(await nodeA.WaitForLineAsync("Listening on", Timeout)));
            await nodeA.WaitForLineAsync("running", Timeout);

            using (var nodeB = NodeProcess.Start("run", "--data-dir", b, "--config", config, "--listen", "tcp://127.0.0.1:0", "--bootstrap", unpinned))
            {
                var trusted = await nodeB.WaitForLineAsync("pins no PeerId; trusting", Timeout);
                Assert.Contains(idA, trusted, StringComparison.Ordinal);
                await nodeB.WaitForLineAsync("DHT joined", Timeout);
                var peers = await NodeProcess.RunAsync(Timeout, "peers", "--data-dir", b);
                Assert.True(peers.ExitCode == 0, peers.Output);
                Assert.Contains(idA, peers.Output, StringComparison.Ordinal);
                nodeB.Signal(SigTerm);
                Assert.Equal(0, await nodeB.WaitForExitAsync(TimeSpan.FromSeconds(15)));
            }

            nodeA.Signal(SigTerm);
            Assert.Equal(0, await nodeA.WaitForExitAsync(TimeSpan.FromSeconds(15)));
        }

        // Another node takes the address. b remembers whom it met there and will not join through the newcomer.
        using var impostor = NodeProcess.Start("run", "--data-dir", Path.Combine(_root, "m"), "--config", config, "--listen", unpinned);
        var idM = PeerOf(NodeProcess.ListenAddressIn(await impostor.WaitForLineAsync("Listening on", Timeout)));
        await impostor.WaitForLineAsync("running", Timeout);
        using (var againB = NodeProcess.Start("run", "--data-dir", b, "--config", config, "--listen", "tcp://127.0.0.1:0", "--bootstrap", unpinned))
        {
            var remembered = await againB.WaitForLineAsync("remembered in dht.db", Timeout);
            Assert.Contains(idA, remembered, StringComparison.Ordinal);
            var changed = await againB.WaitForLineAsync("no longer proves", Timeout);
            Assert.Contains(idA, changed, StringComparison.Ordinal);
            // The join says why it cannot get in.
            var failed = await againB.WaitForLineAsync($"saved contacts ({unpinned}: ", Timeout);
            Assert.Contains("DHT join found no live peer", failed, StringComparison.Ordinal);
            Assert.Contains($"not the pinned {idA}", failed, StringComparison.Ordinal);
            Assert.DoesNotContain("DHT joined", againB.Output, StringComparison.Ordinal);
        }

        // Without the memory of a first contact (a fresh node), the same address is trusted: the defence is the pin.
        using var fresh = NodeProcess.Start("run", "--data-dir", Path.Combine(_root, "f"), "--config", config, "--listen", "tcp://127.0.0.1:0", "--bootstrap", unpinned);
        var trustedM = await fresh.WaitForLineAsync("pins no PeerId; trusting", Timeout);
        Assert.Contains(idM, trustedM, StringComparison.Ordinal);
        await fresh.WaitForLineAsync("DHT joined", Timeout);
    }

    private static string PeerOf(string address) => address[(address.LastIndexOf('/') + 1)..];
}
