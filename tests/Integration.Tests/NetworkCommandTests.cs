namespace Overlay.Integration.Tests;

public sealed class NetworkCommandTests : IDisposable
{
    private const int SigTerm = 15;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);
    private readonly string _root = Directory.CreateTempSubdirectory("overlay-net").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task Run_WithBootstrap_ConnectsAndPingReportsPeerTransportAndRoundTrip()
    {
        using var first = NodeProcess.Start("run", "--data-dir", Path.Combine(_root, "a"), "--listen", "tcp://127.0.0.1:0");
        var address = ListenAddress(await first.WaitForLineAsync("Listening on", Timeout));
        await first.WaitForLineAsync("running", Timeout);

        using var second = NodeProcess.Start("run", "--data-dir", Path.Combine(_root, "b"), "--listen", "tcp://127.0.0.1:0", "--bootstrap", address);
        var connected = await second.WaitForLineAsync("(bootstrap)", Timeout);
        var firstId = address[(address.LastIndexOf('/') + 1)..];
        Assert.Contains(firstId, connected, StringComparison.Ordinal);
        await first.WaitForLineAsync("(inbound)", Timeout);

        var (code, output) = await NodeProcess.RunAsync(Timeout, "ping", address, "--count", "2");
        Assert.Equal(0, code);
        Assert.Contains($"Connected to {firstId}", output, StringComparison.Ordinal);
        Assert.Contains("over TCP+TLS", output, StringComparison.Ordinal);
        Assert.Contains("2 replies; round trip min/avg/max", output, StringComparison.Ordinal);

        first.Signal(SigTerm);
        second.Signal(SigTerm);
        Assert.Equal(0, await first.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(0, await second.WaitForExitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Ping_WrongPinnedPeer_IsIdentityMismatchAndExitOne()
    {
        using var node = NodeProcess.Start("run", "--data-dir", Path.Combine(_root, "a"), "--listen", "tcp://127.0.0.1:0");
        var address = ListenAddress(await node.WaitForLineAsync("Listening on", Timeout));
        var otherId = Overlay.Crypto.PeerId.Random(new Random(3)).ToString();
        var wrong = address[..(address.LastIndexOf('/') + 1)] + otherId;

        var (code, output) = await NodeProcess.RunAsync(Timeout, "ping", wrong);
        Assert.Equal(1, code);
        Assert.Contains("IdentityMismatch", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("tcp://localhost:4001", 64, "host names are not accepted")]
    [InlineData("udp://127.0.0.1:4001", 64, "udp")]
    [InlineData("tcp://127.0.0.1:99999", 64, "99999")]
    [InlineData("tcp://127.0.0.1:1", 1, "PeerUnreachable")]
    public async Task Ping_BadOrUnreachableAddress_IsOneSentence(string address, int expectedCode, string expected)
    {
        var (code, output) = await NodeProcess.RunAsync(Timeout, "ping", address, "--timeout", "5");
        Assert.Equal(expectedCode, code);
        Assert.Contains(expected, output, StringComparison.Ordinal);
        Assert.Single(output.Trim().Split('\n'));
    }

    [Fact]
    public async Task Run_MalformedListenAddress_StopsWithConfigError()
    {
        var (code, output) = await NodeProcess.RunAsync(Timeout, "run", "--data-dir", Path.Combine(_root, "a"), "--listen", "tcp://127.0.0.1");
        Assert.Equal(78, code);
        Assert.StartsWith("overlay: Transport:ListenAddresses:0 is invalid", output.Trim(), StringComparison.Ordinal);
    }

    private static string ListenAddress(string line) => line[(line.IndexOf("Listening on ", StringComparison.Ordinal) + "Listening on ".Length)..].Trim();
}
