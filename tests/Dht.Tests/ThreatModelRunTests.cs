using Overlay.Sim.Churn;
using Overlay.Sim.Trust;

namespace Overlay.Dht.Tests;

/// <summary>
/// The EigenTrust threat models on whole nodes, small enough for the suite (<c>Overlay.Sim churn --model</c>): 40 % of
/// the nodes are malicious, drop the shards they acknowledged as their model says and sign trust rows that lie,
/// served over <c>trust/1</c>; honest owners keep placing shards, and probes, audits and repair run as in the daemon.
/// Each model is run with trust-weighted placement and with the closest-id placement (the defence off) on the same
/// seed, every node otherwise at the daemon's defaults (probation included: owners keep their copies for the whole run,
/// so no shard is lost at first placement): with trust, the holdings owners' books list on malicious nodes at the end
/// (after repair has chosen new holders for what droppers lost) must stay well below closest placement's. Model C (camouflage) is run a third
/// time with local trust counting every exchange as one (<see cref="ChurnSettings.FlatEvidence"/>), which must not
/// meet that bar: what keeps the camouflaged collective off is local trust weighing shard evidence above DHT answers.
/// Model D (spies) is asserted only for a spy that is every node's bootstrap peer, with the pre-trust defences on and
/// off, over three seeds: with honest pre-trusted peers the spies keep their shards and vouch for the others, and trust
/// placement's margin over closest placement there is too thin to assert (docs/PLACEMENT.md, "Threat models on whole nodes").
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
        // Both runs at the daemon's defaults, probation included: a shard whose holders all dropped at once is repaired from
        // its owner's copy, so what the end figure counts is where repairs put shards, not the holders of shards lost at
        // first placement. Over seeds 1-10 closest placement ended with A 1.2-4.0 % and B 1.7-5.4 % (seed 3: 3.8 % and
        // 5.4 %), trust placement 0.0 % at every seed (docs/PLACEMENT.md, "The suite's runs, with probation and without").
        // Without probation the holders of those lost shards stay in the books: closest placement ended with 2.4-31.4 %,
        // and trust placement missed the bar below at three seeds of ten in A and two in B.
        // Closest placement's repairs pass over the droppers they caught, yet what they place near the ids keeps landing on
        // others that drop.
        Assert.True(closest.HeldOnMaliciousShare > 0.01, $"closest: {closest.HeldOnMaliciousShare:P1} of the holdings on malicious nodes");
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
        // The defence off: flat counts leave the collective as many holdings as closest placement does, or more (seed 3: 27.9 %
        // against 26.5 %). Over seeds 1-10 flat counts held 0.64-1.26 times closest placement's share, under the bar at seeds 5
        // and 9 (without probation also at seed 10); weighed evidence 0.31-0.59 times, under it at every seed.
        Assert.False(flat.HeldOnMaliciousShare < closest.HeldOnMaliciousShare * 0.75, report);
    }

    [Fact]
    public void ThreatModelD_SpyForABootstrapPeer_OverThreeSeeds_ThePreTrustDefencesKeepTheLoadAndTheCollectiveBelowBoundsThatTheUndefendedRunsPass()
    {
        // Node 0, the one bootstrap peer every node pre-trusts, is a spy: it keeps every shard, so no owner catches it, and
        // its row names the members that delete. Without the defences (p split evenly between an owner and node 0, no
        // share cap) node 0 sits at the trust cap in every owner's computation and piles up shards. With node 0's share of
        // p capped at 0.1 and no holder past three times its fair share the busiest holder keeps less, and so does the
        // collective; the members that delete hold less than with closest placement either way, since an owner draws a
        // holder it caught losing shards only when no other is left.
        // One seed decides little here: over seeds 1-10 (the daemon's defaults, probation included) the collective held
        // 26.0-33.3 % defended and 28.6-35.7 % undefended (closest placement 13.2-26.0 %, which depends on where the ids fall,
        // so it is no yardstick), the two 3.5 points apart on average on the same seed, with one seed in ten the other way
        // round (docs/PLACEMENT.md, "The suite's runs, with probation and without"). So the bounds are on the mean of three
        // seeds, halfway between the defended and the undefended means of those ten seeds.
        int[] seeds = [1, 2, 3];
        var attack = Small with { Model = ThreatModel.D, MaliciousBootstrap = true };
        var runs = seeds.AsParallel().AsOrdered().Select(seed => (
            Closest: Run(attack with { Seed = seed, Placement = "closest" }),
            Defended: Run(attack with { Seed = seed, Placement = "trust" }),
            Undefended: Run(attack with { Seed = seed, Placement = "trust", PreTrustCap = 0.5, HolderShareCap = 1000 }))).ToList();

        Assert.All(runs, r => Assert.StartsWith("malicious, a spy (keeps its shards)", r.Defended.BootstrapRole, StringComparison.Ordinal));
        static double Mean(IEnumerable<ChurnResult> results, Func<ChurnResult, double> of) => results.Average(of);
        static double OnDeleters(ChurnResult r) => (double)r.DeleterHoldingsAtEnd / r.HoldingsAtEnd;
        var (closest, defended, undefended) = (runs.Select(r => r.Closest).ToList(), runs.Select(r => r.Defended).ToList(), runs.Select(r => r.Undefended).ToList());
        var report = string.Join("; ", runs.Select((r, i) => $"seed {seeds[i]}: collective defended {r.Defended.HeldOnMaliciousShare:P1}, undefended " +
            $"{r.Undefended.HeldOnMaliciousShare:P1}, closest {r.Closest.HeldOnMaliciousShare:P1}; node 0 {r.Defended.HeldOnBootstrapShare:P1}, " +
            $"{r.Undefended.HeldOnBootstrapShare:P1}; busiest holder {r.Defended.LoadConcentration:F2}, {r.Undefended.LoadConcentration:F2} times the mean; " +
            $"the members that delete {OnDeleters(r.Defended):P1}, {OnDeleters(r.Undefended):P1}, {OnDeleters(r.Closest):P1}"));
        output.WriteLine(report);
        // Seeds 1-10, the busiest holder: defended 2.34-2.80 times the mean (mean 2.58), undefended 2.98-3.37 (mean 3.16);
        // the mean of seeds 1-3: 2.61 and 3.19.
        const double LoadBound = 2.87;
        Assert.True(Mean(defended, r => r.LoadConcentration) < LoadBound, report);
        Assert.True(Mean(undefended, r => r.LoadConcentration) > LoadBound, report);
        // Seeds 1-10, the collective's share of the holdings: defended mean 29.1 %, undefended 32.6 %; the mean of seeds
        // 1-3: 29.2 % and 33.0 %.
        const double CollectiveBound = 0.308;
        Assert.True(Mean(defended, r => r.HeldOnMaliciousShare) < CollectiveBound, report);
        Assert.True(Mean(undefended, r => r.HeldOnMaliciousShare) > CollectiveBound, report);
        Assert.True(Mean(defended, OnDeleters) < Mean(closest, OnDeleters) * 0.75, report);
    }

    private ChurnResult Run(ChurnSettings settings) => ChurnRuns.Run(settings, output);
}
