using Overlay.Sim;

namespace Overlay.Dht.Tests;

/// <summary>
/// <c>Overlay.Sim repair</c>'s read-back with several reads under way at once: whole nodes on PlanetLab latencies
/// place shards, lose a fifth of the nodes, repair, and read every shard back. Each read is a provider lookup and a
/// fetch, seconds of virtual time, so one read after another made the read-back the longest phase of a large run;
/// reading several at once must still read each shard exactly once, by the same reader, with the same outcome.
/// </summary>
public sealed class RepairReadBackTests(ITestOutputHelper output)
{
    [Fact]
    public void Run_WithEightReadsAtOnce_ReadsEveryShardOnceAndAsOneAfterAnotherDoes()
    {
        var settings = new RepairSettings { Nodes = 24, Shards = 60, ShardBytes = 4096, Seed = 3, ParallelReads = 8 };
        var parallel = Run(settings);
        var again = Run(settings);
        var sequential = Run(settings with { ParallelReads = 1 });

        Assert.Equal(60, parallel.ReadStarts.Count);
        Assert.All(parallel.ReadStarts, starts => Assert.Equal(1, starts));
        Assert.All(sequential.ReadStarts, starts => Assert.Equal(1, starts));
        Assert.Equal(8, parallel.MostReadsInFlight);
        Assert.Equal(1, sequential.MostReadsInFlight);

        // Same seed, same run: every read's reader, outcome and virtual times.
        Assert.Equal(parallel.Reads, again.Reads);
        Assert.Equal(parallel.ReadBack, again.ReadBack);

        // The reads overlap, and each shard is read by the same node with the same outcome as one after another.
        Assert.Equal(sequential.Reads.Select(r => (r.Reader, r.OwnerAlive, r.Retrieved)), parallel.Reads.Select(r => (r.Reader, r.OwnerAlive, r.Retrieved)));
        Assert.True(parallel.ReadBack * 3 < sequential.ReadBack, $"{parallel.ReadBack} with 8 at once, {sequential.ReadBack} one after another");
        Assert.Equal(sequential.Tally.Detection, parallel.Tally.Detection);
        Assert.Equal(sequential.Tally.Starts, parallel.Tally.Starts);
        Assert.Equal(sequential.Tally.BytesMoved, parallel.Tally.BytesMoved);
        Assert.True(parallel.Retrievable > 0);
        // Every shard that still had a copy on a live node when the others died is read back.
        Assert.True(parallel.Retrievable >= settings.Shards - parallel.NoLiveCopyAtKill, $"{parallel.Retrievable} retrievable, {parallel.NoLiveCopyAtKill} with every copy killed");
    }

    private RepairRunResult Run(RepairSettings settings)
    {
        using var text = new StringWriter();
        var result = new RepairRun(settings, SharedLatency.PlanetLab, text).Run();
        output.WriteLine(text.ToString());
        return result;
    }
}
