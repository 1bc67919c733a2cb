using Overlay.Placement.Selection;

namespace Overlay.Placement.Tests;

public sealed class ReplicationRuleTests
{
    [Theory]
    [InlineData(0.0, 0.0, 3)]
    [InlineData(0.0, 0.01, 3)] // 0.01³ = 1e-6 exactly: no replica more
    [InlineData(0.0, 0.05, 5)]
    [InlineData(0.0, 0.1, 6)]
    [InlineData(0.0, 0.3, 12)]
    [InlineData(0.0, 0.5, 20)]
    [InlineData(0.0, 0.9, 20)] // capped
    [InlineData(0.0, 1.0, 20)]
    [InlineData(7200.0, 0.0, 3)]
    [InlineData(36000.0, 0.0, 10)] // demand: 36,000 reads an hour at 3,600 per replica
    [InlineData(1e9, 0.0, 20)]
    [InlineData(18000.0, 0.1, 6)] // the larger of demand (5) and failures (6)
    public void ReplicasFor_DemandAndFailureRate_RaiseRUpToTheCap(double readsPerHour, double failure, int expected) =>
        Assert.Equal(expected, ReplicationRule.ReplicasFor(new PlacementOptions(), readsPerHour, failure));

    [Theory]
    [InlineData(double.NaN, 0.1)]
    [InlineData(-1.0, 0.1)]
    [InlineData(0.0, double.NaN)]
    [InlineData(0.0, 1.5)]
    public void ReplicasFor_InputOutOfRange_Throws(double readsPerHour, double failure) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => ReplicationRule.ReplicasFor(new PlacementOptions(), readsPerHour, failure));
}
