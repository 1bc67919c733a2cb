using System.Diagnostics;
using Overlay.Node.Cli;
using Overlay.Node.Tests.Metrics;

namespace Overlay.Node.Tests.Deploy;

/// <summary>
/// deploy/overlay.service, checked by systemd's own verifier and against the CLI it starts. The verifier
/// also checks that the command exists, so the unit is verified with its install folder (/opt/overlay)
/// moved to a temporary one holding an executable under the node's name.
/// </summary>
public sealed class SystemdUnitTests : IDisposable
{
    private const string InstallFolder = "/opt/overlay/";
    private static readonly string Unit = MetricsEndpointTests.RepositoryFile("deploy/overlay.service");
    private readonly string _dir = Directory.CreateTempSubdirectory("overlay-unit").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Verify_ShippedUnit_HasNoFindings()
    {
        var (code, output) = Verify(File.ReadAllText(Unit));
        Assert.True(code == 0 && output.Length == 0, $"systemd-analyze verify found: {output} (exit {code})");
    }

    [Theory]
    [InlineData("Restart=on-failure", "Restart=sometimes")]
    [InlineData("NoNewPrivileges=yes", "NoNewPrivilege=yes")]
    [InlineData("/opt/overlay/Overlay.Node run", "/opt/overlay/No.Such.Node run")]
    public void Verify_BrokenUnit_IsCaught(string from, string to)
    {
        // The check above means something only if the verifier reports mistakes of this kind.
        var unit = File.ReadAllText(Unit);
        Assert.Contains(from, unit, StringComparison.Ordinal);
        var (code, output) = Verify(unit.Replace(from, to, StringComparison.Ordinal));
        Assert.True(code != 0 || output.Length > 0, "systemd-analyze verify accepted a broken unit.");
    }

    [Fact]
    public void ExecStart_ArgumentsAreOnesTheCliAccepts()
    {
        var exec = File.ReadAllLines(Unit).Single(l => l.StartsWith("ExecStart=", StringComparison.Ordinal));
        var words = exec["ExecStart=".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(InstallFolder + "Overlay.Node", words[0]);
        var specs = Commands.All().ToDictionary(c => c.Spec.Name, c => c.Spec, StringComparer.Ordinal);
        var parsed = ArgumentParser.Parse(words[1..], specs);
        Assert.Equal("run", parsed.Command);
        Assert.Equal("/var/lib/overlay", parsed.Single("--data-dir"));
    }

    /// <summary>Runs systemd-analyze verify on <paramref name="unitText"/> installed under a temporary folder.</summary>
    private (int Code, string Output) Verify(string unitText)
    {
        var tool = new[] { "/usr/bin/systemd-analyze", "/bin/systemd-analyze" }.FirstOrDefault(File.Exists);
        if (tool is null)
        {
            Assert.Skip("systemd-analyze is not installed (Debian: apt-get install systemd).");
        }

        var install = Directory.CreateDirectory(Path.Combine(_dir, "install")).FullName + "/";
        var node = Path.Combine(install, "Overlay.Node");
        File.WriteAllText(node, "#!/bin/sh\n");
        File.SetUnixFileMode(node, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var unit = Path.Combine(_dir, "overlay.service");
        File.WriteAllText(unit, unitText.Replace(InstallFolder, install, StringComparison.Ordinal));

        using var process = Process.Start(new ProcessStartInfo(tool, ["verify", unit])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, (stdout + stderr.Result).Trim());
    }
}
