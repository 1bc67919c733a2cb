using Overlay.Sim.Churn;
using Overlay.Sim.Trust;

namespace Overlay.Dht.Tests;

/// <summary>
/// The EigenTrust threat models on whole nodes, small enough for the suite (<c>Overlay.Sim churn --model</c>): 40 % of
/// the nodes are malicious, drop the shards they acknowledged as their model says and sign trust rows that lie,
/// served over <c>trust/1</c>; honest owners keep placing shards, and probes, audits and repair run as in the daemon.
/// Each model is run with trust-weighted placement and with the closest-id placement (the defence off) on the same
/// seed: with trust, the holdings owners' books list on malicious nodes at the end (after repair has chosen new
/// holders for what droppers lost) must stay well below closest placement's. Model C (camouflage) is run a third
/// time with local trust counting every exchange as one (<see cref="ChurnSettings.FlatEvidence"/>), which must not
/// meet that bar: what keeps the camouflaged collective off is local trust weighing shard evidence above DHT answers.
/// Model D (spies) is asserted only for a spy that is every node's bootstrap peer, with the pre-trust defences on and
/// off: with honest pre-trusted peers the spies keep their shards and vouch for the others, and trust placement's
/// margin over closest placement there is too thin to assert (docs/PLACEMENT.md, "Threat models on whole nodes").
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
        // Measured with seed 3: B 0.0 % against 7.3 %. Closest placement's repairs pass over the droppers they caught,
        // yet what they place near the ids keeps landing on others that drop.
        Assert.True(closest.HeldOnMaliciousShare > 0.05, $"closest: {closest.HeldOnMaliciousShare:P1} of the holdings on malicious nodes");
        Assert.True(
            trust.HeldOnMaliciousShare < closest.HeldOnMaliciousShare * 0.75,
            $"trust: {trust.HeldOnMaliciousShare:P1} of the holdings on malicious nodes against {closest.HeldOnMaliciousShare:P1} with closest");
    }

    [Fact]
    public void ThreatModelC_OnWholeNodes_WeighedEvidenceKeepsTheCamouflagedCollectiveBelowClosestPlacement_FlatCountsDoNot()
    {
        // Members keep half their shards and answer the DHT well. Counted one exchange one vote, what they keep and
        // every DHT answer earn them as much local trust as honest holders; weighed, a lost shard costs four stores
        // and a DHT answer a 64th of one.
        var closest = Run(Small with { Model = ThreatModel.C, Placement = "closest" });
        var trust = Run(Small with { Model = ThreatModel.C, Placement = "trust" });
        var flat = Run(Small with { Model = ThreatModel.C, Placement = "trust", FlatEvidence = true });

        Assert.True(trust.HoldingsAtEnd > 0 && closest.HoldingsAtEnd > 0 && flat.HoldingsAtEnd > 0);
        var report = $"holdings on malicious nodes: trust {trust.HeldOnMaliciousShare:P1}, flat {flat.HeldOnMaliciousShare:P1}, closest {closest.HeldOnMaliciousShare:P1}; " +
            $"placed on them: trust {trust.PlacedOnMaliciousShare:P1}, flat {flat.PlacedOnMaliciousShare:P1}, closest {closest.PlacedOnMaliciousShare:P1}";
        output.WriteLine(report);
        Assert.True(trust.HeldOnMaliciousShare < closest.HeldOnMaliciousShare * 0.75, report);
        Assert.True(trust.PlacedOnMaliciousShare < closest.PlacedOnMaliciousShare, report);
        // The defence off: flat counts leave the collective as many holdings as closest placement does, or more.
        Assert.False(flat.HeldOnMaliciousShare < closest.HeldOnMaliciousShare * 0.75, report);
    }

    [Fact]
    public void ThreatModelD_SpyForABootstrapPeer_DrawsTheCollectiveWellPastClosestPlacementOnlyWithoutThePreTrustDefences()
    {
        // Node 0, the one bootstrap peer every node pre-trusts, is a spy: it keeps every shard, so no owner catches it, and
        // its row names the members that delete. Without the defences (p split evenly between an owner and node 0, no
        // share cap: trust placement as it was) node 0 sits at the trust cap in every owner's computation and piles up
        // shards, and the collective ends with more holdings than closest placement leaves it. With node 0's share of p
        // capped at 0.1 and no holder past three times its fair share it holds about what closest placement leaves it; the
        // members that delete hold less than with closest placement either way, since an owner draws a holder it caught
        // losing shards only when no other is left.
        var attack = Small with { Model = ThreatModel.D, MaliciousBootstrap = true };
        var closest = Run(attack with { Placement = "closest" });
        var defended = Run(attack with { Placement = "trust" });
        var undefended = Run(attack with { Placement = "trust", PreTrustCap = 0.5, HolderShareCap = 1000 });

        Assert.StartsWith("malicious, a spy (keeps its shards)", defended.BootstrapRole, StringComparison.Ordinal);
        static double OnDeleters(ChurnResult r) => (double)r.DeleterHoldingsAtEnd / r.HoldingsAtEnd;
        var report = $"holdings on the collective: defended {defended.HeldOnMaliciousShare:P1}, undefended {undefended.HeldOnMaliciousShare:P1}, " +
            $"closest {closest.HeldOnMaliciousShare:P1}; on the members that delete: defended {OnDeleters(defended):P1}, " +
            $"undefended {OnDeleters(undefended):P1}, closest {OnDeleters(closest):P1}";
        output.WriteLine(report);
        // Measured with seed 3: the collective 29.8 % defended, 33.6 % undefended, 29.3 % closest (what the defended run holds
        // above closest placement is on the spy, which keeps what it takes); those that delete 0.0 %, 0.0 %, 7.6 %. Owners no
        // longer weigh the trust they compute before observing anyone (p alone), which took most of the first shards to
        // node 0 and so narrowed what the pre-trust defences add on top.
        Assert.True(undefended.HeldOnMaliciousShare > closest.HeldOnMaliciousShare * 1.1, report);
        Assert.True(defended.HeldOnMaliciousShare < closest.HeldOnMaliciousShare * 1.05, report);
        Assert.True(OnDeleters(defended) < OnDeleters(closest) * 0.75, report);
    }

    private ChurnResult Run(ChurnSettings settings) => ChurnRuns.Run(settings, output);
}
