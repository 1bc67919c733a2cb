namespace Overlay.Dht.Persistence;

/// <summary>Where a DHT node writes the changes it must not lose before it acknowledges them.</summary>
public interface IDhtStateJournal
{
    /// <summary>
    /// Queues <paramref name="change"/> behind every change queued before it. The task completes once the
    /// change is saved, and faults with a <see cref="DhtStateException"/> when saving it failed; nothing
    /// that depends on the change may be acknowledged before then.
    /// </summary>
    Task WriteAsync(DhtStateChange change);
}
