using Overlay.Sim.Churn;
using Overlay.Sim.Trust;

namespace Overlay.Dht.Tests;

/// <summary>
/// The EigenTrust threat models on whole nodes, small enough for the suite (<c>Overlay.Sim churn --model</c>): 40 % of
/// the nodes are malicious, drop the shards they acknowledged as their model says and sign trust rows that lie,
/// served over <c>trust/1</c>; honest owners keep placing shards. Each model is run with trust-weighted placement and
/// with the closest-id placement (the defence off) on the same seed, and trust must keep the holders that drop
/// shards well below what closest placement gives them.
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
    [InlineData("C")]
    [InlineData("D")]
    public void ThreatModel_OnWholeNodes_TrustPlacementKeepsShardsOffDroppers_ClosestPlacementDoesNot(string name)
    {
        var model = Enum.Parse<ThreatModel>(name);
        var trust = Run(Small with { Model = model, Placement = "trust" });
        var closest = Run(Small with { Model = model, Placement = "closest" });

        Assert.True(trust.Measured.Holders > 0 && closest.Measured.Holders > 0);
        var onDroppersTrust = Share(trust);
        var onDroppersClosest = Share(closest);
        // Closest placement ignores behaviour: droppers keep about their share of the nodes (6 of 15, fewer in D and C's keeps aside).
        Assert.True(onDroppersClosest > 0.15, $"closest: {onDroppersClosest:P1} of the second half's holders on droppers");
        Assert.True(onDroppersTrust < onDroppersClosest / 2, $"trust: {onDroppersTrust:P1} on droppers against {onDroppersClosest:P1} with closest");
    }

    private static double Share(ChurnResult result) => (double)result.Measured.OnDroppers / result.Measured.Holders;

    private ChurnResult Run(ChurnSettings settings)
    {
        var result = new ChurnRun(settings, SharedLatency.PlanetLab).Run();
        var text = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
        ChurnCommand.Report(result, text);
        output.WriteLine(text.ToString());
        return result;
    }
}
