using System.Diagnostics.Metrics;
using Overlay.Node.Shards;

namespace Overlay.Node.Tests.Shards;

/// <summary>The repair counts 'overlay status' shows: started, ended either way, and in flight between.</summary>
public sealed class RepairCountsTests
{
    [Fact]
    public void InFlight_IsStartedLessEndedEitherWay()
    {
        using var meter = new Meter("Overlay.Test.RepairCounts");
        var metrics = new ShardExchangeMetrics(meter);
        metrics.RepairStarted();
        metrics.RepairStarted();
        metrics.RepairStarted();
        Assert.Equal(3, metrics.RepairsInFlight);

        metrics.RepairEnded(finished: true, bytes: 16_384);
        metrics.RepairEnded(finished: false, bytes: 0);
        Assert.Equal(1, metrics.RepairsInFlight);
        var json = metrics.ToJson();
        Assert.Equal(1, json["repairsInFlight"]!.GetValue<long>());
        Assert.Equal(3, json["repairsStarted"]!.GetValue<long>());
        Assert.Equal(1, json["repairsFinished"]!.GetValue<long>());
        Assert.Equal(1, json["repairsFailed"]!.GetValue<long>());

        metrics.RepairEnded(finished: true, bytes: 16_384);
        Assert.Equal(0, metrics.RepairsInFlight);
    }
}
