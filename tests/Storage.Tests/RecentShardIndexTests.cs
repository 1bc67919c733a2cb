using Overlay.Storage.Sqlite;

namespace Overlay.Storage.Tests;

/// <summary>The log index's bookkeeping of an open write transaction: what a commit keeps and a rollback undoes.</summary>
public sealed class RecentShardIndexTests
{
    private static ShardId Id(byte first)
    {
        var bytes = new byte[ShardId.Size];
        bytes[0] = first;
        bytes[9] = (byte)(first * 7);
        return ShardId.FromBytes(bytes);
    }

    [Fact]
    public void RolledBack_ReplacementOfAnEntry_RestoresItsRowAndVerificationMinute()
    {
        var index = new RecentShardIndex();
        var kept = Id(1);
        index.Load(kept, seq: 5, verifiedMinute: 1_000);
        index.Load(Id(2), seq: 6, verifiedMinute: 2_000);

        // A delete and a put of the same id in one transaction give it a new log row and minute.
        index.Remove(kept, 5);
        index.Add(kept, 9, verifiedMinute: 3_000);
        index.Add(Id(3), 10, verifiedMinute: 3_000);
        Assert.True(index.TryGet(kept, out var seq, out var minute));
        Assert.Equal((9L, 3_000), (seq, minute));

        index.RolledBack();

        Assert.True(index.TryGet(kept, out seq, out minute));
        Assert.Equal((5L, 1_000), (seq, minute));
        Assert.False(index.TryGet(Id(3), out _));
        Assert.Equal(2, index.Count);
    }

    [Fact]
    public void Committed_ReplacementOfAnEntry_KeepsTheNewRowAndMinute_AndAppliesRemovals()
    {
        var index = new RecentShardIndex();
        var replaced = Id(1);
        var deleted = Id(2);
        index.Load(replaced, seq: 5, verifiedMinute: 1_000);
        index.Load(deleted, seq: 6, verifiedMinute: 2_000);

        index.Remove(replaced, 5);
        index.Add(replaced, 9, verifiedMinute: 3_000);
        index.Remove(deleted, 6);
        // A removal takes effect at the commit, not before.
        Assert.True(index.TryGet(deleted, out _));

        index.Committed();

        Assert.True(index.TryGet(replaced, out var seq, out var minute));
        Assert.Equal((9L, 3_000), (seq, minute));
        Assert.False(index.TryGet(deleted, out _));
        Assert.Equal(1, index.Count);
    }
}
