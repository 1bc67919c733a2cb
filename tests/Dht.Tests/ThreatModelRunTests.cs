using Overlay.Sim.Churn;
using Overlay.Sim.Trust;

namespace Overlay.Dht.Tests;

/// <summary>
/// The EigenTrust threat models on whole nodes, small enough for the suite (<c>Overlay.Sim churn --model</c>): 40 % of
/// the nodes are malicious, drop the shards they acknowledged as their model says and sign trust rows that lie,
/// served over <c>trust/1</c>; honest owners keep placing shards, and probes, audits and repair run as in the daemon.
/// Each model is run with trust-weighted placement and with the closest-id placement (the defence off) on the same
/// seed: with trust, the holdings owners' books list on malicious nodes at the end (after repair has chosen new
/// holders for what droppers lost) must stay well below closest placement's. Models C (camouflage) and D (spies) are
/// not among them: at this size, with repairs that pass over the holders just caught, trust placement does not beat
/// closest placement there by that margin (docs/PLACEMENT.md, "Threat models on whole nodes").
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
    public void ThreatModel_OnWholeNodes_TrustPlacementKeepsHoldingsOffMaliciousNodes_ClosestPlacementDoesNot(string name)
    {
        var model = Enum.Parse<ThreatModel>(name);
        var trust = Run(Small with { Model = model, Placement = "trust" });
        var closest = Run(Small with { Model = model, Placement = "closest" });

        Assert.True(trust.HoldingsAtEnd > 0 && closest.HoldingsAtEnd > 0);
        // Measured with seed 3: A 0.0 % against 12.5 %, B 2.1 % against 7.3 %. Closest placement's repairs pass over
        // the droppers they caught, yet what they place near the ids keeps landing on others that drop.
        Assert.True(closest.HeldOnMaliciousShare > 0.05, $"closest: {closest.HeldOnMaliciousShare:P1} of the holdings on malicious nodes");
        Assert.True(
            trust.HeldOnMaliciousShare < closest.HeldOnMaliciousShare * 0.75,
            $"trust: {trust.HeldOnMaliciousShare:P1} of the holdings on malicious nodes against {closest.HeldOnMaliciousShare:P1} with closest");
    }

    private ChurnResult Run(ChurnSettings settings) => ChurnRuns.Run(settings, output);
}
