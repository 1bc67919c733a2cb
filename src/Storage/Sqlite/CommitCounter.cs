namespace Overlay.Storage.Sqlite;

/// <summary>
/// Counts the writer's commits, so a reader can keep its read transaction (its snapshot) from one
/// read to the next for as long as nothing was committed, instead of starting and ending one per read.
/// </summary>
/// <remarks>
/// The writer advances the count right after each COMMIT and before it changes anything readers see
/// in memory (the log index) or acknowledges anything. A reader looks at the log index first and at
/// the count after, and starts a new snapshot when the count moved: whatever the index showed it, and
/// every acknowledged write, is then in its snapshot.
/// </remarks>
internal sealed class CommitCounter
{
    private long _commits;

    public long Current => Volatile.Read(ref _commits);

    /// <summary>The writer's COMMIT returned; writer thread, before anything else follows from it.</summary>
    public void Advance() => Interlocked.Increment(ref _commits);
}
