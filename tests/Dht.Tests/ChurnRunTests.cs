using Overlay.Sim.Churn;

namespace Overlay.Dht.Tests;

/// <summary>
/// <c>Overlay.Sim churn</c> small enough for the suite: whole nodes on PlanetLab latencies and virtual
/// time keep their shards while nodes come and go with Weibull sessions, and while a fifth of them drop
/// every shard they acknowledged. Each claim is shown against the same run with repair switched off.
/// </summary>
public class ChurnRunTests(ITestOutputHelper output)
{
    private static readonly ChurnSettings Churning = new()
    {
        Nodes = 12,
        Shards = 24,
        Duration = TimeSpan.FromMinutes(30),
        WeibullShape = 0.59,
        WeibullScale = TimeSpan.FromMinutes(30),
        SampleEvery = TimeSpan.FromMinutes(10),
        FetchesPerSample = 8,
        ProbeInterval = TimeSpan.FromSeconds(10),
        Seed = 5,
    };

    private static readonly ChurnSettings Dropping = new()
    {
        Nodes = 15,
        Shards = 30,
        Duration = TimeSpan.FromMinutes(30),
        Churn = false,
        Droppers = 0.2,
        Placement = "trust",
        SampleEvery = TimeSpan.FromMinutes(10),
        FetchesPerSample = 8,
        ProbeInterval = TimeSpan.FromSeconds(10),
        AuditInterval = TimeSpan.FromMinutes(10),
        Seed = 7,
    };

    [Fact]
    public void Churn_WeibullSessions_RepairKeepsEveryShardOfPresentOwnersAndTheSameSeedRepeatsTheRun()
    {
        var first = Run(Churning);
        var again = Run(Churning);
        // Without the owners' copies on probation too: they would keep every shard of a present owner for the first hour.
        var unrepaired = Run(Churning with { Repair = false, ProbationPeriod = TimeSpan.Zero });

        Assert.True(first.Departures >= 6, $"{first.Departures} departures: the churn did not bite");
        Assert.True(first.Repairs > 0);
        Assert.Equal(1.0, first.MinAvailability);
        Assert.Equal(first.Samples.Sum(s => s.Fetched), first.Samples.Sum(s => s.FetchedOk));
        Assert.Equal(first.Samples.Select(s => s.ToCsv()), again.Samples.Select(s => s.ToCsv()));
        // The same sessions without repair lose shards whose owners are still there.
        Assert.Equal(first.Departures, unrepaired.Departures);
        Assert.True(unrepaired.MinAvailability < 1.0, $"without repair the minimum availability was {unrepaired.MinAvailability:P2}");
    }

    [Fact]
    public void SilentDroppers_AreFoundReplacedAndTrustedLess_OnlyWithRepairOn()
    {
        var repaired = Run(Dropping);
        var unrepaired = Run(Dropping with { Repair = false });

        Assert.True(repaired.DropperHoldingsAtStart > 0, "no dropper was given a shard");
        Assert.Equal(0, repaired.DropperHoldingsAtEnd);
        Assert.Equal(1.0, repaired.MinAvailability);
        Assert.True(repaired.Trust.Owners > 0);
        Assert.Equal(repaired.Trust.Owners, repaired.Trust.OwnersTrustingDroppersLess);
        Assert.True(repaired.Trust.Dropper < repaired.Trust.Honest / 4, $"trust in droppers {repaired.Trust.Dropper}, in honest peers {repaired.Trust.Honest}");
        // Without repair the owners go on counting on holders that kept nothing.
        Assert.Equal(unrepaired.DropperHoldingsAtStart, unrepaired.DropperHoldingsAtEnd);
    }

    private ChurnResult Run(ChurnSettings settings) => ChurnRuns.Run(settings, output);
}
