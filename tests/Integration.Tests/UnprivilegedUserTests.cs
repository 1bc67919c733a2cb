using System.Runtime.InteropServices;

namespace Overlay.Integration.Tests;

/// <summary>
/// The node started by a user without root: it needs nothing from the system beyond the .NET runtime (the
/// native libsodium ships with the build), and keeps its data in the user's own data home. Run as root, the
/// test switches to <c>nobody</c> with <c>runuser</c> (<see cref="OtherUser"/>); otherwise it is skipped, saying why.
/// </summary>
public sealed class UnprivilegedUserTests : IDisposable
{
    private const int SigTerm = 15;
    private const uint Nobody = 65534;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);
    private readonly string _home = Directory.CreateTempSubdirectory("overlay-nobody").FullName;

    public void Dispose() => Directory.Delete(_home, recursive: true);

    [Fact]
    public async Task Run_AsNobody_CreatesItsIdentityInItsDataHome_ListensAndStopsOnSigterm()
    {
        if (OtherUser.Unavailable is { } reason)
        {
            Assert.Skip(reason);
        }

        Assert.Equal(0, chown(_home, Nobody, Nobody));
        File.SetUnixFileMode(_home, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        // The default data directory, $XDG_DATA_HOME/overlay: runuser gives nobody its own HOME
        // (/nonexistent), so the user's data home is named the other way the node looks for it.
        var environment = new Dictionary<string, string?>
        {
            ["XDG_DATA_HOME"] = _home,
            ["OVERLAY_DATA_DIR"] = null,
            ["INVOCATION_ID"] = null,
        };
        using var node = NodeProcess.StartAs(OtherUser.Name, NodeProcess.NodeDll, environment, "run", "--listen", "tcp://127.0.0.1:0");
        try
        {
            await node.WaitForLineAsync("Listening on tcp://127.0.0.1:", StartTimeout);
            await node.WaitForLineAsync("running", StartTimeout);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"The node run as {OtherUser.Name} did not start within {StartTimeout}. Its output:\n{node.Output}");
        }

        var keyFile = Path.Combine(_home, "overlay", "identity.key");
        Assert.True(File.Exists(keyFile), node.Output);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
        Assert.Equal(Nobody, Owner(keyFile));

        // runuser waits for its child and, on a signal of its own, ends it after a grace period: signal
        // the node itself, runuser's only child.
        var nodePid = ChildOf(node.ProcessId);
        Assert.Equal(0, kill(nodePid, SigTerm));
        Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("stopping", node.Output, StringComparison.Ordinal);
    }

    private static int ChildOf(int pid)
    {
        var children = File.ReadAllText($"/proc/{pid}/task/{pid}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return int.Parse(Assert.Single(children), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static uint Owner(string path)
    {
        // The owner from stat(1): the managed API exposes the mode but not the owner.
        using var stat = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%u", path]) { RedirectStandardOutput = true })!;
        var text = stat.StandardOutput.ReadToEnd();
        stat.WaitForExit();
        return uint.Parse(text.Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

#pragma warning disable CA5392, SYSLIB1054 // Plain libc calls for a Linux-only test.
    [DllImport("libc", SetLastError = true)]
    private static extern int chown(string path, uint owner, uint group);

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);
#pragma warning restore CA5392, SYSLIB1054
}
