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

    public void Dispose()
    {
        Directory.Delete(_app, recursive: true);
        Directory.Delete(_dataDir, recursive: true);
    }

    [Fact]
    public async Task Init_WithoutTheNativeLibsodium_IsOneSentenceAndExitOne()
    {
        // A system copy under the plain name would be found and loaded: then nothing is missing.
        if (NativeLibrary.TryLoad("libsodium.so", out var system))
        {
            NativeLibrary.Free(system);
            Assert.Skip("This machine has a system libsodium.so (libsodium-dev), which the node would load instead.");
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
