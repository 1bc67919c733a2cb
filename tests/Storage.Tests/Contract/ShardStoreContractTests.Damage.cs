using Overlay.Storage;

namespace Overlay.Storage.Tests.Contract;

// Damaged bytes: never served, counted, quarantined, listed, found by a scrub, repaired by a new put.
public abstract partial class ShardStoreContractTests
{
    private async Task<List<(ShardId Id, byte[] Data)>> FillAsync(TestShardStore s, int seed, params int[] sizes)
    {
        var random = new Random(seed);
        var shards = new List<(ShardId, byte[])>();
        foreach (var size in sizes)
        {
            var data = RandomBytes(random, size);
            shards.Add(((await s.Store.PutAsync(data, new ShardPutOptions(Owner: Alice), Ct)).Id, data));
        }

        return shards;
    }

    [Fact]
    public async Task Read_OfDamagedShard_IsCorruptedCountedQuarantinedAndNeverServed()
    {
        var clock = new ManualTimeProvider(Start);
        await using var s = Open(time: clock);
        var shards = await FillAsync(s, 30, 200_000, 3000, 5000, 4000);
        await s.DamageAsync(shards[0].Id);
        await s.DamageAsync(shards[1].Id);
        await s.DamageAsync(shards[3].Id);
        using var corrupted = new CounterWatch(s.Meter, "overlay.storage.corrupted");
        clock.Advance(TimeSpan.FromMinutes(5));

        var large = new byte[200_000];
        Assert.Equal(new ShardReadResult(ShardReadStatus.Corrupted, 0), s.Store.Read(shards[0].Id, large));
        Assert.All(large, b => Assert.Equal(0, b));
        var writer = new System.Buffers.ArrayBufferWriter<byte>();
        Assert.Equal(ShardReadStatus.Corrupted, s.Store.Read(shards[1].Id, writer).Status);
        Assert.Equal(0, writer.WrittenCount);
        var chunk = new byte[100];
        Assert.Equal(new ShardReadResult(ShardReadStatus.Corrupted, 0), s.Store.ReadRange(shards[3].Id, 10, chunk));
        Assert.All(chunk, b => Assert.Equal(0, b));
        using var stream = new MemoryStream();
        // The quarantine the reads queued may already have committed: never Found either way.
        Assert.Contains((await s.Store.ReadAsync(shards[1].Id, stream, Ct)).Status, new[] { ShardReadStatus.Corrupted, ShardReadStatus.NotFound });
        Assert.Equal(0, stream.Length);
        AssertServes(s.Store, shards[2].Id, shards[2].Data);
        Assert.True(corrupted.Total >= 3);
        Assert.Equal(corrupted.Total, corrupted.CountWithTag("reason", "hash_mismatch"));
        Assert.Equal(corrupted.Total, corrupted.CountWithTag("source", "read"));

        // Once quarantined the shards are gone, with their quota and their owner's charge, and listed.
        await s.Administration.FlushAsync(Ct);
        Assert.Equal(ShardReadStatus.NotFound, s.Store.Read(shards[0].Id, large).Status);
        Assert.False(s.Store.Contains(shards[1].Id));
        AssertUsage(s.Store, 1, 5000, s.Options.CapacityBytes);
        Assert.Equal(new OwnerUsage(1, 5000), s.Store.GetOwnerUsage(Alice));
        var quarantined = await ListAsync(s.Administration.EnumerateQuarantineAsync(Ct));
        Assert.Equal(new[] { shards[0].Id, shards[1].Id, shards[3].Id }.Order(), quarantined.Select(q => q.Id));
        Assert.All(quarantined, q => Assert.Equal("hash_mismatch", q.Reason));
        Assert.All(quarantined, q => Assert.Equal(clock.GetUtcNow(), q.DetectedAt));
        Assert.Equal(200_000, quarantined.Single(q => q.Id == shards[0].Id).Size);

        // Repair: the same content can be stored again (e.g. fetched from a replica).
        await s.ReopenAsync();
        Assert.True((await s.Store.PutAsync(shards[0].Data, cancellationToken: Ct)).Stored);
        AssertServes(s.Store, shards[0].Id, shards[0].Data);
        Assert.Equal(3, (await ListAsync(s.Administration.EnumerateQuarantineAsync(Ct))).Count);
    }

    [Fact]
    public async Task VerifyAll_AfterShardsWereDamaged_ReportsExactlyTheBadIdsAndQuarantinesThem()
    {
        await using var s = Open();
        var shards = await FillAsync(s, 31, 100, 70_000, 2000, 2000, 1_000_000, 10);
        await s.DamageAsync(shards[1].Id);
        await s.DamageAsync(shards[4].Id);
        using var corrupted = new CounterWatch(s.Meter, "overlay.storage.corrupted");
        var progress = new List<VerifyProgress>();

        var report = await s.Administration.VerifyAllAsync(new SynchronousProgress(progress), Ct);

        Assert.Equal(6, report.Checked);
        Assert.Equal(4, report.Ok);
        Assert.Equal(new[] { shards[1].Id, shards[4].Id }.Order(), report.CorruptedIds.Order());
        Assert.Empty(report.UnreadableIds);
        Assert.Empty(report.UnreadablePages);
        Assert.False(report.IsClean);
        Assert.Contains("corrupted 2", report.ToString(), StringComparison.Ordinal);
        Assert.Equal(2, corrupted.CountWithTag("source", "scrub"));
        Assert.Equal(new VerifyProgress(6, 6, 2), progress[^1]);
        Assert.Equal(2, (await ListAsync(s.Administration.EnumerateQuarantineAsync(Ct))).Count);

        // Quarantined by the scrub: a second scrub is clean and the good shards still serve.
        var again = await s.Administration.VerifyAllAsync(cancellationToken: Ct);
        Assert.True(again.IsClean);
        Assert.Equal(4, again.Checked);
        foreach (var i in new[] { 0, 2, 3, 5 })
        {
            AssertServes(s.Store, shards[i].Id, shards[i].Data);
        }

        Assert.Equal(new OwnerUsage(4, 100 + 2000 + 2000 + 10), s.Store.GetOwnerUsage(Alice));
    }

    [Fact]
    public async Task VerifyAll_OfAnEmptyStore_IsCleanAndTheQuarantineEmpty()
    {
        await using var s = Open();
        var report = await s.Administration.VerifyAllAsync(cancellationToken: Ct);
        Assert.True(report.IsClean);
        Assert.Equal(0, report.Checked);
        Assert.Empty(await ListAsync(s.Administration.EnumerateQuarantineAsync(Ct)));
    }

    private sealed class SynchronousProgress(List<VerifyProgress> sink) : IProgress<VerifyProgress>
    {
        public void Report(VerifyProgress value) => sink.Add(value);
    }
}
