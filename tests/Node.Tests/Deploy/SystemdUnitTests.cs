using System.Diagnostics;
using Overlay.Node.Cli;
using Overlay.Node.Tests.Metrics;

namespace Overlay.Node.Tests.Deploy;

/// <summary>deploy/overlay.service, checked by systemd's own verifier and against the CLI it starts.</summary>
public sealed class SystemdUnitTests : IDisposable
{
    private static readonly string Unit = MetricsEndpointTests.RepositoryFile("deploy/overlay.service");
    private readonly string _dir = Directory.CreateTempSubdirectory("overlay-unit").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Verify_ShippedUnit_HasNoFindings()
    {
        var (code, output) = Verify(Unit);
        Assert.True(code == 0 && output.Length == 0, $"systemd-analyze verify found: {output} (exit {code})");
    }

    [Theory]
    [InlineData("Restart=on-failure", "Restart=sometimes")]
    [InlineData("NoNewPrivileges=yes", "NoNewPrivilege=yes")]
    [InlineData("/usr/bin/dotnet", "/usr/bin/no-such-dotnet")]
    public void Verify_BrokenUnit_IsCaught(string from, string to)
    {
        // The check above means something only if the verifier reports mistakes of this kind.
        var broken = Path.Combine(_dir, "overlay.service");
        File.WriteAllText(broken, File.ReadAllText(Unit).Replace(from, to, StringComparison.Ordinal));
        var (code, output) = Verify(broken);
        Assert.True(code != 0 || output.Length > 0, "systemd-analyze verify accepted a broken unit.");
    }

    [Fact]
    public void ExecStart_ArgumentsAreOnesTheCliAccepts()
    {
        var exec = File.ReadAllLines(Unit).Single(l => l.StartsWith("ExecStart=", StringComparison.Ordinal));
        var words = exec["ExecStart=".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("/usr/bin/dotnet", words[0]);
        Assert.EndsWith("Overlay.Node.dll", words[1], StringComparison.Ordinal);
        var specs = Commands.All().ToDictionary(c => c.Spec.Name, c => c.Spec, StringComparer.Ordinal);
        var parsed = ArgumentParser.Parse(words[2..], specs);
        Assert.Equal("run", parsed.Command);
        Assert.Equal("/var/lib/overlay", parsed.Single("--data-dir"));
    }

    private static (int Code, string Output) Verify(string unit)
    {
        var tool = new[] { "/usr/bin/systemd-analyze", "/bin/systemd-analyze" }.FirstOrDefault(File.Exists);
        if (tool is null)
        {
            Assert.Skip("systemd-analyze is not installed (Debian: apt-get install systemd).");
        }

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
