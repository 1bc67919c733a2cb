namespace Overlay.Sim;

/// <summary>What a <see cref="RepairRun"/> measured.</summary>
/// <param name="Killed">Nodes killed at once.</param>
/// <param name="Tally">The owners' repairs that ended in the window after the kill.</param>
/// <param name="Reads">Each shard's read-back, by shard.</param>
/// <param name="ReadStarts">How many times each shard's read-back was started.</param>
/// <param name="MostReadsInFlight">The most read-backs under way at once.</param>
/// <param name="ReadBack">Virtual time from the end of the window to the last read's end.</param>
/// <param name="NoLiveCopyAtKill">Shards that no live node kept at the moment of the kill (every copy on a killed node).</param>
internal sealed record RepairRunResult(int Killed, RepairTally Tally, IReadOnlyList<ShardRead> Reads, IReadOnlyList<int> ReadStarts, int MostReadsInFlight, TimeSpan ReadBack, int NoLiveCopyAtKill)
{
    /// <summary>Shards whose read-back gave their bytes.</summary>
    public int Retrievable => Reads.Count(r => r.Retrieved);
}
