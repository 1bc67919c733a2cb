using System.Runtime.InteropServices;

namespace Overlay.Integration.Tests;

/// <summary>
/// A build whose native libsodium is missing: every command that needs it ends with one sentence saying
/// what to do and exit code 1, never a stack trace.
/// </summary>
public sealed class SodiumUnavailableTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);
    private readonly string _app = Directory.CreateTempSubdirectory("overlay-no-sodium").FullName;
    private readonly string _dataDir = Directory.CreateTempSubdirectory("overlay-no-sodium-data").FullName;

    /// <summary>
    /// Where the dynamic loader would find a system <c>libsodium.so</c>, or null. Looked for on disk, not
    /// loaded: once another test in this process has loaded the node's packaged copy, loading the plain
    /// name succeeds whatever the system holds, and the test would skip or run by the order of the tests.
    /// </summary>
    private static string? SystemLibsodium()
    {
        var triplet = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "aarch64-linux-gnu" : "x86_64-linux-gnu";
        var folders = (Environment.GetEnvironmentVariable("LD_LIBRARY_PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/local/lib", "/usr/local/lib64", $"/usr/lib/{triplet}", $"/lib/{triplet}", "/usr/lib", "/usr/lib64", "/lib", "/lib64"]);
        return folders.Select(f => Path.Combine(f, "libsodium.so")).FirstOrDefault(File.Exists);
    }

    public void Dispose()
    {
        Directory.Delete(_app, recursive: true);
        Directory.Delete(_dataDir, recursive: true);
    }

    [Fact]
    public async Task Init_WithoutTheNativeLibsodium_IsOneSentenceAndExitOne()
    {
        // A system copy under the plain name would be found and loaded: then nothing is missing.
        if (SystemLibsodium() is { } system)
        {
            Assert.Skip($"This machine has a system {system} (libsodium-dev), which the node would load instead.");
        }

        // The node's assemblies without the runtimes/ folder that holds the packaged libsodium.
        foreach (var file in Directory.EnumerateFiles(AppContext.BaseDirectory))
        {
            File.Copy(file, Path.Combine(_app, Path.GetFileName(file)));
        }

        using var node = NodeProcess.StartAs(user: null, Path.Combine(_app, "Overlay.Node.dll"), environment: null, "init", "--data-dir", _dataDir);
        Assert.Equal(1, await node.WaitForExitAsync(Timeout));
        var line = Assert.Single(node.Output.Trim().Split('\n'));
        Assert.StartsWith("overlay: The native libsodium could not be loaded:", line, StringComparison.Ordinal);
        Assert.EndsWith(".", line, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dataDir, "identity.key")));
    }
}
