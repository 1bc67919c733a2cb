using Overlay.Sim.Churn;

namespace Overlay.Dht.Tests;

/// <summary>The per-node-per-hour traffic of a churn run is taken over the time its byte counts span.</summary>
public class ChurnResultTests
{
    [Fact]
    public void TrafficPerNodeHour_IsOverTheTimeBetweenTheFirstAndTheLastSample_NotTheRunsDuration()
    {
        // A 2-hour run sampled every 15 minutes takes its last sample at 1.75 h.
        var result = new ChurnResult(new ChurnSettings { Nodes = 10, Duration = TimeSpan.FromHours(2) });
        result.Samples.Add(Sample(TimeSpan.Zero, repairBytes: 1_000, networkBytes: 5_000));
        result.Samples.Add(Sample(TimeSpan.FromHours(1.75), repairBytes: 1_751_000, networkBytes: 3_505_000));

        Assert.Equal(100_000, result.RepairBytesPerNodeHour, 6);
        Assert.Equal(200_000, result.NetworkBytesPerNodeHour, 6);
    }

    [Fact]
    public void TrafficPerNodeHour_WithOneSample_IsZero()
    {
        var result = new ChurnResult(new ChurnSettings { Nodes = 10 });
        result.Samples.Add(Sample(TimeSpan.Zero, repairBytes: 1_000, networkBytes: 5_000));

        Assert.Equal(0, result.RepairBytesPerNodeHour);
        Assert.Equal(0, result.NetworkBytesPerNodeHour);
    }

    private static ChurnSample Sample(TimeSpan at, long repairBytes, long networkBytes) =>
        new(at, Present: 10, Departures: 0, Owned: 10, OwnedKept: 10, All: 10, AllKept: 10, Fetched: 0, FetchedOk: 0, Repairs: 0, repairBytes, networkBytes, DropperHoldings: 0, OwnedOnHolders: 10, InProbation: 0);
}
