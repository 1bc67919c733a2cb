using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Overlay.Crypto;
using Overlay.Node.Cli;
using Overlay.Node.Configuration;
using Overlay.Node.Hosting;

namespace Overlay.Node.Tests.Doctor;

/// <summary>'overlay doctor' on data directories set up to pass or to fail one check each.</summary>
public sealed class DoctorCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("overlay-doctor").FullName;
    private readonly OverlayCli _cli = new(Commands.All());

    public DoctorCommandTests()
    {
        File.SetUnixFileMode(_dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        // Nothing on this host decides the verdicts: no fixed ports to find taken, no bootstrap peers to reach.
        WriteConfig("""{ "Metrics": { "Listen": "" }, "Transport": { "ListenAddresses": [ "tcp://127.0.0.1:0" ] } }""");
        using var identity = new IdentityStore(_dir, null, _ => null).LoadOrCreate(out _);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Doctor_HealthyDirectory_Exit0AndNoCheckFails()
    {
        var (code, checks) = await DoctorAsync();
        Assert.Equal(ExitCodes.Success, code);
        Assert.DoesNotContain(checks, c => c.Verdict == "failed");
        Assert.Equal("ok", Verdict(checks, "key-file"));
        Assert.Equal("ok", Verdict(checks, "data-directory"));
        Assert.Equal("ok", Verdict(checks, "config"));
        Assert.Equal("skipped", Verdict(checks, "metrics"));
        Assert.Contains(checks, c => c.Name == "clock" && c.Verdict is "ok" or "warning" or "skipped");
        Assert.All(checks.Where(c => c.Verdict is "warning" or "failed"), c => Assert.False(string.IsNullOrWhiteSpace(c.Fix)));
    }

    [Theory]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead)]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite)]
    public async Task Doctor_KeyFileReadableByOthers_FailsWithChmod600(UnixFileMode mode)
    {
        File.SetUnixFileMode(Path.Combine(_dir, IdentityStore.FileName), mode);
        var (code, checks) = await DoctorAsync();
        Assert.Equal(ExitCodes.Failure, code);
        var check = checks.Single(c => c.Name == "key-file");
        Assert.Equal("failed", check.Verdict);
        Assert.Contains("chmod 600", check.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_DataDirectoryWritableByOthers_Fails()
    {
        File.SetUnixFileMode(_dir, (UnixFileMode)0x1FF);
        var (code, checks) = await DoctorAsync();
        Assert.Equal(ExitCodes.Failure, code);
        Assert.Equal("failed", Verdict(checks, "data-directory"));
        Assert.Contains("chmod 700", checks.Single(c => c.Name == "data-directory").Fix, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_ListenPortTaken_FailsNamingThePort()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var (code, checks) = await DoctorAsync("--listen", $"tcp://127.0.0.1:{port}");
        Assert.Equal(ExitCodes.Failure, code);
        var check = checks.Single(c => c.Name == $"listen tcp://127.0.0.1:{port}");
        Assert.Equal("failed", check.Verdict);
        Assert.Contains(port.ToString(System.Globalization.CultureInfo.InvariantCulture), check.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_MetricsPortTaken_Fails()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        WriteConfig($$"""{ "Metrics": { "Listen": "127.0.0.1:{{((IPEndPoint)taken.LocalEndpoint).Port}}" }, "Transport": { "ListenAddresses": [ "tcp://127.0.0.1:0" ] } }""");
        var (code, checks) = await DoctorAsync();
        Assert.Equal(ExitCodes.Failure, code);
        Assert.Equal("failed", Verdict(checks, "metrics"));
    }

    [Fact]
    public async Task Doctor_BootstrapPeerNotListening_Fails()
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        using var other = NodeIdentity.Generate();
        var address = $"tcp://127.0.0.1:{port}/p2p/{other.PeerId}";
        var (code, checks) = await DoctorAsync("--bootstrap", address, "--timeout", "5");
        Assert.Equal(ExitCodes.Failure, code);
        Assert.Equal("failed", Verdict(checks, "bootstrap " + address));
    }

    [Theory]
    [InlineData("""{ "Metrics": { "Listen": "everywhere" } }""", "'Metrics:Listen' is 'everywhere'")]
    [InlineData("""{ "Storage": { "CapacityBytes": "lots" } }""", "Storage:CapacityBytes")]
    [InlineData("""{ "Transport": { "ListenAddresses": "tcp://127.0.0.1:1" } }""", "Transport:ListenAddresses")]
    [InlineData("""{ "Metrics": """, "node.config.json")]
    public async Task Doctor_BadConfiguration_FailsTheConfigCheckWithOneSentence(string json, string expected)
    {
        WriteConfig(json);
        var (code, checks) = await DoctorAsync();
        Assert.Equal(ExitCodes.Failure, code);
        var check = checks.Single(c => c.Name == "config");
        Assert.Equal("failed", check.Verdict);
        Assert.Contains(expected, check.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--timeout", "0")]
    [InlineData("--timeout", "soon")]
    [InlineData("--bogus")]
    [InlineData("extra")]
    public async Task Doctor_BadArguments_Exit64(params string[] args)
    {
        var error = new StringWriter();
        var code = await _cli.RunAsync(["doctor", "--data-dir", _dir, .. args], new CliContext(new StringWriter(), error, _ => null), TestContext.Current.CancellationToken);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Single(error.ToString().Trim().Split('\n'));
    }

    [Fact]
    public async Task Doctor_PlainOutput_HasOneLinePerCheckAndASummary()
    {
        var output = new StringWriter();
        var code = await _cli.RunAsync(["doctor", "--data-dir", _dir], new CliContext(output, new StringWriter(), _ => null), TestContext.Current.CancellationToken);
        Assert.Equal(ExitCodes.Success, code);
        var lines = output.ToString().Trim().Split('\n');
        Assert.StartsWith("ok    config:", lines[0], StringComparison.Ordinal);
        Assert.Matches(@"^\d+ checks: 0 failed, \d+ warning\(s\)\.$", lines[^1]);
    }

    private void WriteConfig(string json) => File.WriteAllText(Path.Combine(_dir, ConfigurationSources.FileName), json);

    private static string Verdict(IReadOnlyList<Check> checks, string name) => checks.Single(c => c.Name == name).Verdict;

    private async Task<(int Code, IReadOnlyList<Check> Checks)> DoctorAsync(params string[] args)
    {
        var output = new StringWriter();
        var code = await _cli.RunAsync(["doctor", "--json", "--data-dir", _dir, .. args], new CliContext(output, new StringWriter(), _ => null), TestContext.Current.CancellationToken);
        var checks = JsonNode.Parse(output.ToString())!["checks"]!.AsArray()
            .Select(c => new Check(c!["check"]!.GetValue<string>(), c["verdict"]!.GetValue<string>(), c["detail"]!.GetValue<string>(), c["fix"]?.GetValue<string>()))
            .ToList();
        return (code, checks);
    }

    private sealed record Check(string Name, string Verdict, string Detail, string? Fix);
}
