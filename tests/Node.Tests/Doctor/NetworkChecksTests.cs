using System.Text.Json.Nodes;
using Overlay.Crypto;
using Overlay.Node.Cli;
using Overlay.Node.Doctor;
using Overlay.Node.Reachability;

namespace Overlay.Node.Tests.Doctor;

/// <summary>The doctor's network checks on reported figures: each verdict's threshold, and a fix for every warning and failure.</summary>
public sealed class NetworkChecksTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(5);

    [Theory]
    [InlineData(0.0, 5.0, "ok")]
    [InlineData(900.0, 5.0, "ok")]
    [InlineData(1300.0, 400.0, "ok")] // 1.3 s measured, but only 0.9 s beyond the error: under the 1 s warning
    [InlineData(1500.0, 5.0, "warning")]
    [InlineData(-4000.0, 5.0, "warning")]
    [InlineData(6000.0, 5.0, "failed")]
    [InlineData(-6000.0, 5.0, "failed")]
    [InlineData(-5200.0, 400.0, "warning")] // past 5 s, but not beyond the measurement's error
    public async Task Skew_ByMedianAndError_GivesTheVerdict(double medianMs, double errorMs, string expected)
    {
        var check = (await Json(NetworkChecks.Skew(new ClockSkew(3, medianMs, errorMs), Limit, "test")))[0];
        Assert.Equal(expected, check.Verdict);
        if (expected == "failed")
        {
            Assert.Contains(medianMs < 0 ? "peers refuse this node's fresh DHT records" : "this node refuses its peers' fresh DHT records", check.Detail, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Skew_FromProbes_IsTheMedianOfThePeersThatAnswered()
    {
        var ids = new Random(4);
        ReachProbe Probe(double skew, double rtt) => new(PeerId.Random(ids), new ReachAnswer(ReachStatus.Time, null, 0, ""), null, rtt, skew);
        var skew = ClockSkew.Of([Probe(-100, 10), Probe(9_000_000, 20), Probe(40, 30), new ReachProbe(PeerId.Random(ids), null, "timeout", 5000, double.NaN)]);
        Assert.Equal(3, skew!.Value.Peers);
        Assert.Equal(40, skew.Value.MedianMs); // one peer's wild clock does not move the verdict
        Assert.Equal(15, skew.Value.ErrorMs);
        Assert.Null(ClockSkew.Of([]));
    }

    [Theory]
    [InlineData(0, 0, 0, "failed")]
    [InlineData(3, 2, 0, "warning")]
    [InlineData(20, 5, 15, "warning")]
    [InlineData(20, 5, 2, "ok")]
    public async Task RoutingTable_ByContactsAndStale_GivesTheVerdict(int contacts, int buckets, int stale, string expected)
    {
        var routing = new JsonObject { ["contacts"] = contacts, ["bucketsFilled"] = buckets, ["stale"] = stale };
        Assert.Equal(expected, (await Json(NetworkChecks.RoutingTable(routing)))[0].Verdict);
    }

    [Theory]
    [InlineData("reachable", "server", "ok", "ok")]
    [InlineData("unreachable", "client", "failed", "warning")]
    [InlineData("unknown", "server", "warning", "ok")]
    [InlineData("not_listening", "server", "warning", "ok")]
    public async Task Reachability_ByVerdict_GivesReachAndNatVerdicts(string verdict, string mode, string reach, string nat)
    {
        var report = new JsonObject { ["verdict"] = verdict, ["dhtMode"] = mode, ["announced"] = "tcp://203.0.113.7:4001", ["probes"] = new JsonArray() };
        var checks = await Json(NetworkChecks.Reachability(report), NetworkChecks.Nat(report));
        Assert.Equal(reach, checks[0].Verdict);
        Assert.Equal(nat, checks[1].Verdict);
    }

    [Fact]
    public async Task Checks_WithoutARunningNode_AreSkippedSayingWhy()
    {
        var checks = await Json(NetworkChecks.Reachability(null), NetworkChecks.Nat(null), NetworkChecks.RoutingTable(null), NetworkChecks.Skew(null, Limit, "measured against the bootstrap peers"));
        Assert.All(checks, c => Assert.Equal("skipped", c.Verdict));
        Assert.All(checks, c => Assert.False(string.IsNullOrWhiteSpace(c.Detail)));
    }

    /// <summary>The checks as 'overlay doctor --json' prints them, parsed back.</summary>
    internal static async Task<List<(string Name, string Verdict, string Detail, string? Fix)>> Json(params DoctorCheck[] checks)
    {
        var output = new StringWriter();
        await DoctorCommand.WriteAsync(new CliContext(output, new StringWriter(), _ => null), checks, json: true);
        var parsed = JsonNode.Parse(output.ToString())!["checks"]!.AsArray()
            .Select(c => (c!["check"]!.GetValue<string>(), c["verdict"]!.GetValue<string>(), c["detail"]!.GetValue<string>(), c["fix"]?.GetValue<string>()))
            .ToList();
        Assert.All(parsed.Where(c => c.Item2 is "warning" or "failed"), c => Assert.False(string.IsNullOrWhiteSpace(c.Item4)));
        return parsed;
    }
}
