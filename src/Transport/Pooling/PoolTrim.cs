namespace Overlay.Transport.Pooling;

/// <summary>
/// Which pooled connections may be closed, and in which order, when the pool is above
/// <see cref="TransportOptions.PoolHighWatermark"/>: least recently active first, down to
/// <see cref="TransportOptions.PoolLowWatermark"/>, never one with something in flight, one under a
/// <see cref="ITransportConnection.KeepWatched"/> lease, one kept (<see cref="ConnectionPool.Keep"/>, for
/// <see cref="TransportOptions.IdleTimeout"/>) or one active within <see cref="TransportOptions.PoolGracePeriod"/>.
/// Those may hold the pool above its high watermark; the next trim looks again.
/// </summary>
internal sealed class PoolTrim(TransportOptions options, TimeProvider time)
{
    /// <summary>True when a pool of <paramref name="count"/> connections trims itself.</summary>
    public bool IsDue(int count) => count > options.PoolHighWatermark;

    /// <summary>Kept by <see cref="ConnectionPool.Keep"/> within the idle timeout.</summary>
    public bool IsKept(PoolEntry entry, long now)
        => entry.KeptAt != PoolEntry.NeverKept && time.GetElapsedTime(entry.KeptAt, now) < options.IdleTimeout;

    /// <summary>
    /// The entries to close, in the order given by <paramref name="entries"/> (the pool's own order) where
    /// equally recently active, so one seed gives one result; enough to bring <paramref name="count"/> down
    /// to the low watermark if that many may be closed; never <paramref name="except"/>.
    /// </summary>
    public List<PoolEntry> Choose(IEnumerable<PoolEntry> entries, int count, PoolEntry? except)
    {
        var now = time.GetTimestamp();
        var candidates = new List<(long LastActive, int Order, PoolEntry Entry)>();
        var order = 0;
        foreach (var e in entries)
        {
            if (!ReferenceEquals(e, except) && MayClose(e, now))
            {
                candidates.Add((e.LastActive, order, e));
            }

            order++;
        }

        // Least recently active, not least recently handed out: a connection its peer keeps using (requests to
        // this node, which the pool's own order does not see) stays.
        candidates.Sort(static (a, b) => a.LastActive != b.LastActive ? a.LastActive.CompareTo(b.LastActive) : a.Order.CompareTo(b.Order));
        var excess = Math.Max(0, count - Math.Min(options.PoolLowWatermark, options.PoolHighWatermark));
        var chosen = new List<PoolEntry>(Math.Min(excess, candidates.Count));
        for (var i = 0; i < candidates.Count && chosen.Count < excess; i++)
        {
            chosen.Add(candidates[i].Entry);
        }

        return chosen;
    }

    private bool MayClose(PoolEntry e, long now)
    {
        var c = e.Connection;
        return c.ActiveOperations == 0
            && !c.IsKeptWatched
            && !c.Closed.IsCancellationRequested
            && !IsKept(e, now)
            && time.GetElapsedTime(e.LastActive, now) >= options.PoolGracePeriod;
    }
}
