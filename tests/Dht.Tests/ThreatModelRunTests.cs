using Overlay.Sim.Churn;
using Overlay.Sim.Trust;

namespace Overlay.Dht.Tests;

/// <summary>
/// The EigenTrust threat models on whole nodes, small enough for the suite (<c>Overlay.Sim churn --model</c>): 40 % of
/// the nodes are malicious, drop the shards they acknowledged as their model says and sign trust rows that lie,
/// served over <c>trust/1</c>; honest owners keep placing shards, and probes, audits and repair run as in the daemon.
/// Each model is run with trust-weighted placement and with the closest-id placement (the defence off) on the same
/// seed: with trust, the holdings owners' books list on malicious nodes at the end (after repair has chosen new
/// holders for what droppers lost) must stay well below closest placement's. Model C (camouflage) is not among them:
/// at this size trust placement does not beat closest placement there (docs/PLACEMENT.md, "Threat models on whole nodes").
/// </summary>
public class ThreatModelRunTests(ITestOutputHelper output)
{
    private static readonly ChurnSettings Small = new()
    {
        Nodes = 15,
        Shards = 45,
        Duration = TimeSpan.FromMinutes(40),
        Churn = false,
        Droppers = 0.4,
        SampleEvery = TimeSpan.FromMinutes(5),
        FetchesPerSample = 4,
        PlacementsPerSample = 12,
        ProbeInterval = TimeSpan.FromSeconds(30),
        AuditInterval = TimeSpan.FromMinutes(5),
        RowEvery = TimeSpan.FromMinutes(10),
        Seed = 3,
    };

    [Theory]
    [InlineData("A")]
    [InlineData("B")]
    [InlineData("D")]
    public void ThreatModel_OnWholeNodes_TrustPlacementKeepsHoldingsOffMaliciousNodes_ClosestPlacementDoesNot(string name)
    {
        var model = Enum.Parse<ThreatModel>(name);
        var trust = Run(Small with { Model = model, Placement = "trust" });
        var closest = Run(Small with { Model = model, Placement = "closest" });

        Assert.True(trust.HoldingsAtEnd > 0 && closest.HoldingsAtEnd > 0);
        // Measured with seed 3: B 4.0 % against 29.6 %, D 22.2 % against 35.5 % (D's spies keep their shards, and hold trust).
        Assert.True(closest.HeldOnMaliciousShare > 0.2, $"closest: {closest.HeldOnMaliciousShare:P1} of the holdings on malicious nodes");
        Assert.True(
            trust.HeldOnMaliciousShare < closest.HeldOnMaliciousShare * 0.75,
            $"trust: {trust.HeldOnMaliciousShare:P1} of the holdings on malicious nodes against {closest.HeldOnMaliciousShare:P1} with closest");
    }

    private ChurnResult Run(ChurnSettings settings)
    {
        var result = new ChurnRun(settings, SharedLatency.PlanetLab).Run();
        var text = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
        ChurnCommand.Report(result, text);
        output.WriteLine(text.ToString());
        return result;
    }
}
