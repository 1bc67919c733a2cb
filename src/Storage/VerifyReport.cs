namespace Overlay.Storage;

/// <summary>The result of <see cref="IShardStoreAdministration.VerifyAllAsync"/>, for the <c>overlay verify</c> command.</summary>
public sealed class VerifyReport
{
    /// <summary>Shards whose bytes were read and hashed.</summary>
    public long Checked { get; init; }

    /// <summary>Shards whose bytes hash to their id.</summary>
    public long Ok { get; init; }

    /// <summary>Shards whose bytes did not hash to their id; all were quarantined.</summary>
    public required IReadOnlyList<ShardId> CorruptedIds { get; init; }

    /// <summary>Shards the store could not read at all (for SQLite, damaged pages); all were quarantined where the damage allowed it.</summary>
    public required IReadOnlyList<ShardId> UnreadableIds { get; init; }

    /// <summary>Problems found in the store's own structure (for SQLite, what <c>PRAGMA quick_check</c> reports: page numbers and what is wrong, at most 100); empty for a store without one.</summary>
    public required IReadOnlyList<string> UnreadablePages { get; init; }

    /// <summary>True when nothing was corrupted or unreadable.</summary>
    public bool IsClean => CorruptedIds.Count == 0 && UnreadableIds.Count == 0 && UnreadablePages.Count == 0;

    /// <summary>Time the scrub took.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <inheritdoc/>
    public override string ToString() =>
        $"checked {Checked}, ok {Ok}, corrupted {CorruptedIds.Count}, unreadable {UnreadableIds.Count}, damaged pages {UnreadablePages.Count}";
}
