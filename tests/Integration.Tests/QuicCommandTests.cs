using Overlay.Transport;
using Overlay.Transport.Quic;

namespace Overlay.Integration.Tests;

/// <summary>
/// The node and <c>overlay ping</c> over QUIC where libmsquic is present (the system's, or the file
/// named by <c>OVERLAY_MSQUIC_PATH</c>), and the fallback to TCP+TLS where it is not. Each test
/// skips, with the reason, on hosts where its case cannot occur.
/// </summary>
public sealed class QuicCommandTests : IDisposable
{
    private const string LibraryVariable = "OVERLAY_MSQUIC_PATH";
    private const int SigTerm = 15;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);
    private readonly string _root = Directory.CreateTempSubdirectory("overlay-quic").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task Run_ListeningOnQuic_IsPingedOverQuic()
    {
        var library = Environment.GetEnvironmentVariable(LibraryVariable) is { Length: > 0 } path ? path : null;
        var nodeArgs = new List<string> { "run", "--data-dir", Path.Combine(_root, "a"), "--listen", "quic://127.0.0.1:0" };
        Dictionary<string, string?>? pingEnvironment = null;
        if (library is not null)
        {
            if (!QuicSupport.IsAvailable(new TransportOptions { MsQuicLibraryPath = library }, out var reason))
            {
                Assert.Fail($"{LibraryVariable} is '{library}', but QUIC cannot run with it: {reason}");
            }

            // The node loads the file through its configuration; ping has no configuration, so it
            // finds the file by the name System.Net.Quic asks the loader for.
            var config = Path.Combine(_root, "quic.config.json");
            await File.WriteAllTextAsync(config, $$"""{ "Transport": { "MsQuicLibraryPath": "{{library.Replace("\\", "\\\\", StringComparison.Ordinal)}}" } }""", TestContext.Current.CancellationToken);
            nodeArgs.AddRange(["--config", config]);
            var directory = Directory.CreateDirectory(Path.Combine(_root, "msquic")).FullName;
            File.CreateSymbolicLink(Path.Combine(directory, "libmsquic.so.2"), Path.GetFullPath(library));
            pingEnvironment = new() { ["LD_LIBRARY_PATH"] = $"{directory}:{Environment.GetEnvironmentVariable("LD_LIBRARY_PATH")}" };
        }
        else if (!QuicSupport.IsAvailable(null, out var reason))
        {
            Assert.Skip(reason);
        }

        using var node = NodeProcess.Start([.. nodeArgs]);
        var address = ListenAddress(await node.WaitForLineAsync("Listening on", Timeout));
        await node.WaitForLineAsync("running", Timeout);
        Assert.StartsWith("quic://127.0.0.1:", address, StringComparison.Ordinal);
        Assert.DoesNotContain("QUIC unavailable", node.Output, StringComparison.Ordinal);

        var (code, output) = await NodeProcess.RunAsync(Timeout, pingEnvironment, "ping", address, "--count", "2");
        Assert.True(code == 0, output);
        var id = address[(address.LastIndexOf('/') + 1)..];
        Assert.Contains($"Connected to {id}", output, StringComparison.Ordinal);
        Assert.Contains("over QUIC", output, StringComparison.Ordinal);
        Assert.Contains("2 replies; round trip min/avg/max", output, StringComparison.Ordinal);
        await node.WaitForLineAsync("(inbound)", Timeout);

        node.Signal(SigTerm);
        Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Run_ListeningOnQuicWithoutLibMsQuic_WarnsAndServesTcpTls()
    {
        if (Environment.GetEnvironmentVariable(LibraryVariable) is { Length: > 0 } || QuicSupport.IsAvailable(null, out _))
        {
            Assert.Skip("libmsquic is present here, so the node's fallback to TCP+TLS cannot be exercised.");
        }

        using var node = NodeProcess.Start("run", "--data-dir", Path.Combine(_root, "a"), "--listen", "quic://127.0.0.1:0");

        // The warning names the quic:// address too; the listener's own line names what it serves.
        var address = ListenAddress(await node.WaitForLineAsync("Listening on tcp://", Timeout));
        await node.WaitForLineAsync("running", Timeout);
        Assert.StartsWith("tcp://127.0.0.1:", address, StringComparison.Ordinal);
        Assert.Contains("QUIC unavailable; using TCP+TLS", node.Output, StringComparison.Ordinal);

        var (code, output) = await NodeProcess.RunAsync(Timeout, "ping", address, "--count", "1");
        Assert.True(code == 0, output);
        Assert.Contains("over TCP+TLS", output, StringComparison.Ordinal);

        // Asked for QUIC by name, ping says why it cannot, in one sentence.
        (code, output) = await NodeProcess.RunAsync(Timeout, "ping", "quic" + address[3..], "--count", "1");
        Assert.Equal(1, code);
        Assert.Contains("QuicUnavailable", output, StringComparison.Ordinal);
        Assert.Single(output.Trim().Split('\n'));

        node.Signal(SigTerm);
        Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromSeconds(10)));
    }

    private static string ListenAddress(string line) => line[(line.IndexOf("Listening on ", StringComparison.Ordinal) + "Listening on ".Length)..].Trim();
}
