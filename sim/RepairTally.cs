using Overlay.Node.Shards;

namespace Overlay.Sim;

/// <summary>
/// What the repair run reports of the owners' repairs: only those that ended inside the measured window
/// after the kill. The read-back that follows the window takes virtual time too (each read a provider lookup and a fetch),
/// and the owners' maintenance keeps running and retrying meanwhile, so counting every repair the run ever
/// saw would make the figures depend on how long the read-back took rather than on the retry rule.
/// </summary>
internal sealed class RepairTally
{
    private RepairTally(IReadOnlyList<RepairRecord> ended, int later, DateTimeOffset killedAt)
    {
        Ended = ended;
        Later = later;
        // Per shard: its first repair that asked a new holder (retries and repairs that found nothing to do are counted apart).
        FirstStarts = [.. ended.Where(r => r.StartedAt is not null).GroupBy(r => r.Shard).Select(g => g.First())];
        Detection = [.. FirstStarts.Select(r => (r.SuspectedAt - killedAt).TotalMilliseconds).Order()];
        Starts = [.. FirstStarts.Select(r => (r.StartedAt!.Value - killedAt).TotalMilliseconds).Order()];
    }

    /// <summary>Repairs that ended inside the window, in the order they ended.</summary>
    public IReadOnlyList<RepairRecord> Ended { get; }

    /// <summary>Repairs that ended after the window (during the read-back); not in any other figure.</summary>
    public int Later { get; }

    /// <summary>Each repaired shard's first repair that asked a new holder.</summary>
    public IReadOnlyList<RepairRecord> FirstStarts { get; }

    /// <summary>Milliseconds from the kill to the first suspicion, per repaired shard, ascending.</summary>
    public double[] Detection { get; }

    /// <summary>Milliseconds from the kill to the first new holder asked, per repaired shard, ascending.</summary>
    public double[] Starts { get; }

    /// <summary>Shard bytes copied by new holders in the window.</summary>
    public long BytesMoved => Ended.Sum(r => r.Result.BytesMoved);

    /// <summary>New holders that gave a receipt in the window.</summary>
    public int NewHolders => Ended.Sum(r => r.Result.Added);

    /// <summary>The repairs of <paramref name="records"/> that ended after <paramref name="killedAt"/> and no later than <paramref name="windowEnd"/>.</summary>
    public static RepairTally Of(IEnumerable<RepairRecord> records, DateTimeOffset killedAt, DateTimeOffset windowEnd)
    {
        var all = records.ToList();
        var ended = all.Where(r => r.EndedAt >= killedAt && r.EndedAt <= windowEnd).ToList();
        return new RepairTally(ended, all.Count(r => r.EndedAt > windowEnd), killedAt);
    }
}
