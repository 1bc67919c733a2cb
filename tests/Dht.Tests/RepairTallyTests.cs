using Overlay.Node.Shards;
using Overlay.Sim;
using Overlay.Storage;

namespace Overlay.Dht.Tests;

/// <summary>
/// The repair run's report counts the repairs of its measured window only. A shard that cannot be repaired is
/// retried every ten probe intervals (20 s) for as long as its owner runs, and the run's read-back after the
/// window takes virtual time of its own: counting everything made the retries of five lost shards look like
/// 730 attempts where the rule allows 15 per shard in five minutes.
/// </summary>
public sealed class RepairTallyTests
{
    private static readonly DateTimeOffset Kill = new(2026, 1, 1, 0, 5, 0, TimeSpan.Zero);

    [Fact]
    public void Of_LostShardRetriedThroughTheReadBack_CountsOnlyTheRetriesTheRuleAllowsInTheWindow()
    {
        var lost = Id(1);
        var repaired = Id(2);
        var records = new List<RepairRecord>
        {
            // Repaired at once: suspected 0.7 s after the kill, its first new holder asked 0.9 s after it.
            new(repaired, Kill.AddSeconds(0.7), Kill.AddSeconds(0.9), Kill.AddSeconds(1.2), new RepairResult(1, 16384, "repaired")),
        };
        // No holder survives: tried 1.1 s after the kill and every 20 s after, through a read-back that ends 41 min later.
        for (var at = 1.1; at < 2500; at += 20)
        {
            records.Add(new RepairRecord(lost, Kill.AddSeconds(0.8), null, Kill.AddSeconds(at), new RepairResult(0, 0, "no holder survives")));
        }

        var tally = RepairTally.Of(records, Kill, Kill.AddMinutes(5));

        // 1.1, 21.1, …, 281.1 s: the fifteen tries of ten probe intervals in five minutes, and the repaired shard's one.
        Assert.Equal(15, tally.Ended.Count(r => r.Shard == lost));
        Assert.Equal(16, tally.Ended.Count);
        Assert.Equal(records.Count - 16, tally.Later);
        Assert.Equal(repaired, Assert.Single(tally.FirstStarts).Shard);
        Assert.Equal([700.0], tally.Detection);
        Assert.Equal([900.0], tally.Starts);
        Assert.Equal(16384, tally.BytesMoved);
        Assert.Equal(1, tally.NewHolders);
    }

    [Fact]
    public void Of_RepairFirstStartedAfterTheWindow_IsNotAFigureOfTheWindow()
    {
        // A shard whose first repair started during the read-back is not detection "within five minutes".
        var late = new RepairRecord(Id(3), Kill.AddMinutes(7), Kill.AddMinutes(7), Kill.AddMinutes(7.1), new RepairResult(1, 16384, "repaired"));

        var tally = RepairTally.Of([late], Kill, Kill.AddMinutes(5));

        Assert.Empty(tally.Ended);
        Assert.Empty(tally.Detection);
        Assert.Equal(1, tally.Later);
    }

    private static ShardId Id(byte b)
    {
        var bytes = new byte[ShardId.Size];
        bytes[0] = b;
        return ShardId.FromBytes(bytes);
    }
}
