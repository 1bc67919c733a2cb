using Overlay.Storage;

namespace Overlay.Storage.Tests;

/// <summary>
/// A reader keeps its read transaction between reads while the writer commits nothing. With one
/// reader, every read below goes through the same kept snapshot.
/// </summary>
public sealed class ReadSnapshotTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(1_000_000)]
    [InlineData(4)]
    public async Task OneReader_SeesEveryAcknowledgedPutPinAndDelete_LoggedOrMerged(int mergeThreshold)
    {
        await using var temp = new TempStore(o =>
        {
            o.ReaderCount = 1;
            o.MergeThreshold = mergeThreshold;
        });
        var random = new Random(mergeThreshold);
        var stored = new List<(ShardId Id, byte[] Data)>();
        var buffer = new byte[600];
        for (var round = 0; round < 60; round++)
        {
            var data = TempStore.RandomBytes(random, 600);
            // Each read first keeps the snapshot of the one before; each write then makes it stale.
            var id = ShardId.Compute(data);
            Assert.Equal(ShardReadStatus.NotFound, temp.Store.Read(id, buffer).Status);
            Assert.False(temp.Store.Contains(id));
            Assert.False(temp.Store.TryGetInfo(id, out _));

            Assert.True((await temp.Store.PutAsync(data, cancellationToken: Ct)).Stored);
            Assert.True(temp.Store.Contains(id));
            Assert.True(temp.Store.TryGetInfo(id, out var info) && !info.Pinned);
            Assert.Equal(ShardReadStatus.Found, temp.Store.Read(id, buffer).Status);
            Assert.Equal(data, buffer);
            stored.Add((id, data));

            await temp.Store.PutAsync(data, new ShardPutOptions(Pinned: true), Ct);
            Assert.True(temp.Store.TryGetInfo(id, out info) && info.Pinned);

            if (round % 3 == 2)
            {
                var gone = stored[random.Next(stored.Count)];
                Assert.True(await temp.Store.DeleteAsync(gone.Id, Ct));
                stored.Remove(gone);
                Assert.Equal(ShardReadStatus.NotFound, temp.Store.Read(gone.Id, buffer).Status);
                Assert.False(temp.Store.Contains(gone.Id));
            }
        }

        if (mergeThreshold == 4)
        {
            Assert.True(temp.Store.Merges > 0);
        }

        foreach (var (id, data) in stored)
        {
            Assert.Equal(ShardReadStatus.Found, temp.Store.Read(id, buffer).Status);
            Assert.Equal(data, buffer);
        }

        Assert.True((await temp.Store.VerifyAllAsync(cancellationToken: Ct)).IsClean);
    }

    [Fact]
    public async Task IdleReaderSnapshot_DoesNotHoldTheCheckpointBack()
    {
        await using var temp = new TempStore(o => o.ReaderCount = 1);
        var random = new Random(90);
        var first = TempStore.RandomBytes(random, 5000);
        var id = (await temp.Store.PutAsync(first, cancellationToken: Ct)).Id;
        await WaitForCheckpointsAsync(temp.Store, atLeast: 1);

        // The only reader keeps the snapshot of this read while it sits in the pool.
        Assert.Equal(ShardReadStatus.Found, temp.Store.Read(id, new byte[5000]).Status);
        var before = temp.Store.WalCheckpoints;
        var second = TempStore.RandomBytes(random, 5000);
        var secondId = (await temp.Store.PutAsync(second, cancellationToken: Ct)).Id;
        await temp.Store.FlushAsync(Ct);

        // The idle writer asks for a checkpoint; it copies every frame only if the snapshot was let go.
        await WaitForCheckpointsAsync(temp.Store, atLeast: before + 1);
        var buffer = new byte[5000];
        Assert.Equal(ShardReadStatus.Found, temp.Store.Read(secondId, buffer).Status);
        Assert.Equal(second, buffer);
    }

    private static async Task WaitForCheckpointsAsync(SqliteShardStore store, long atLeast)
    {
        // The checkpointer is a thread of its own; bounded wait for it.
        for (var i = 0; i < 1000 && store.WalCheckpoints < atLeast; i++)
        {
            await Task.Delay(10, Ct);
        }

        Assert.True(store.WalCheckpoints >= atLeast, $"{store.WalCheckpoints} complete checkpoints, expected at least {atLeast}.");
    }
}
