// Puts are started first and awaited after, each ValueTask exactly once, so batches can form.
#pragma warning disable CA2012
using Overlay.Crypto;
using Overlay.Storage;

namespace Overlay.Storage.Tests.Contract;

// Owners: holds, each owner's charge and limit, and holds that expire while others keep the shard.
public abstract partial class ShardStoreContractTests
{
    private static readonly PeerId Alice = PeerId.Random(new Random(1001));
    private static readonly PeerId Bob = PeerId.Random(new Random(1002));

    private static long Charge(int shards, long bytes) => bytes + (shards * (long)StorageUsage.ShardOverheadBytes);

    [Fact]
    public async Task Put_ForOwners_ChargesEachOwnerOnceAndTheStoreOnce()
    {
        await using var s = Open(time: new ManualTimeProvider(Start));
        var random = new Random(20);
        var shared = RandomBytes(random, 3000);
        var own = RandomBytes(random, 1000);

        Assert.True((await s.Store.PutAsync(shared, new ShardPutOptions(Start.AddHours(1), Owner: Alice), Ct)).Stored);
        // The same content for another owner: not stored again, but held (and charged) for both.
        Assert.False((await s.Store.PutAsync(shared, new ShardPutOptions(Start.AddHours(2), Owner: Bob), Ct)).Stored);
        // Again for Alice: her hold is renewed, not charged twice.
        Assert.False((await s.Store.PutAsync(shared, new ShardPutOptions(Start.AddHours(3), Owner: Alice), Ct)).Stored);
        var ownId = (await s.Store.PutAsync(own, cancellationToken: Ct)).Id;

        Assert.Equal(new OwnerUsage(1, 3000), s.Store.GetOwnerUsage(Alice));
        Assert.Equal(Charge(1, 3000), s.Store.GetOwnerUsage(Alice).ChargedBytes);
        Assert.Equal(new OwnerUsage(1, 3000), s.Store.GetOwnerUsage(Bob));
        Assert.Equal(default, s.Store.GetOwnerUsage(PeerId.Random(new Random(1003))));
        AssertUsage(s.Store, 2, 4000, s.Options.CapacityBytes);
        Assert.True(s.Store.TryGetInfo(ShardId.Compute(shared), out var info));
        Assert.Equal(Start.AddHours(3), info.ExpiresAt);

        await s.ReopenAsync();
        Assert.Equal(new OwnerUsage(1, 3000), s.Store.GetOwnerUsage(Alice));
        Assert.Equal(new OwnerUsage(1, 3000), s.Store.GetOwnerUsage(Bob));

        // A delete ends every hold on the shard; the node's own shard had none.
        Assert.True(await s.Store.DeleteAsync(ShardId.Compute(shared), Ct));
        Assert.True(await s.Store.DeleteAsync(ownId, Ct));
        Assert.Equal(default, s.Store.GetOwnerUsage(Alice));
        Assert.Equal(default, s.Store.GetOwnerUsage(Bob));
        await s.ReopenAsync();
        Assert.Equal(default, s.Store.GetOwnerUsage(Alice));
    }

    [Fact]
    public async Task Put_PastTheOwnersLimit_IsRefusedTypedAndWritesNothing_WhileRenewalAndOthersPass()
    {
        await using var s = Open(time: new ManualTimeProvider(Start));
        using var puts = new CounterWatch(s.Meter, "overlay.storage.puts");
        var random = new Random(21);
        var limit = Charge(2, 2000);
        var first = RandomBytes(random, 1000);
        var second = RandomBytes(random, 1000);
        var third = RandomBytes(random, 1);
        var bobs = RandomBytes(random, 500);
        var options = new ShardPutOptions(Start.AddHours(1), Owner: Alice, OwnerCapacityBytes: limit);
        await s.Store.PutAsync(first, options, Ct);
        await s.Store.PutAsync(second, options, Ct);
        await s.Store.PutAsync(bobs, new ShardPutOptions(Owner: Bob), Ct);

        // A new shard, and a new hold on a shard stored for someone else, are both past the limit.
        var refused = await Assert.ThrowsAsync<StorageException>(async () => await s.Store.PutAsync(third, options, Ct));
        var refusedHold = await Assert.ThrowsAsync<StorageException>(async () => await s.Store.PutAsync(bobs, options, Ct));

        Assert.Equal(StorageErrorReason.OwnerQuotaExceeded, refused.Reason);
        Assert.Equal(StorageErrorReason.OwnerQuotaExceeded, refusedHold.Reason);
        Assert.Contains(Alice.ToString(), refused.Message, StringComparison.Ordinal);
        Assert.Contains($"limit of {limit} bytes", refused.Message, StringComparison.Ordinal);
        Assert.Equal(2, puts.SumWithTag("result", "owner_quota"));
        Assert.False(s.Store.Contains(ShardId.Compute(third)));
        Assert.Equal(new OwnerUsage(2, 2000), s.Store.GetOwnerUsage(Alice));
        Assert.Equal(new OwnerUsage(1, 500), s.Store.GetOwnerUsage(Bob));
        AssertUsage(s.Store, 3, 2500, s.Options.CapacityBytes);

        // At her limit, Alice may still renew what she holds, through a put or a renewal.
        Assert.False((await s.Store.PutAsync(first, options with { ExpiresAt = Start.AddHours(5) }, Ct)).Stored);
        Assert.True(await s.Store.RenewAsync(ShardId.Compute(second), Start.AddHours(6), Alice, Ct));
        // A limit of 0 refuses every new hold; no limit refuses none.
        Assert.Equal(StorageErrorReason.OwnerQuotaExceeded, (await Assert.ThrowsAsync<StorageException>(async () => await s.Store.PutAsync(third, new ShardPutOptions(Owner: Bob, OwnerCapacityBytes: 0), Ct))).Reason);
        Assert.True((await s.Store.PutAsync(third, new ShardPutOptions(Owner: Bob), Ct)).Stored);

        // A limit without an owner, or below zero, is the caller's mistake.
        await Assert.ThrowsAsync<ArgumentException>(async () => await s.Store.PutAsync(third, new ShardPutOptions(OwnerCapacityBytes: 10), Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await s.Store.PutAsync(third, new ShardPutOptions(Owner: Bob, OwnerCapacityBytes: -1), Ct));
    }

    [Fact]
    public async Task Put_ManyAtOnceForOneOwner_AcceptsExactlyWhatFitsItsLimit()
    {
        await using var s = Open();
        var random = new Random(22);
        var options = new ShardPutOptions(Owner: Alice, OwnerCapacityBytes: Charge(30, 30 * 1000));
        var pending = new List<ValueTask<PutResult>>();
        for (var i = 0; i < 50; i++)
        {
            pending.Add(s.Store.PutAsync(RandomBytes(random, 1000), options, Ct));
        }

        Assert.Equal((30, 20), await CountOutcomesAsync(pending, StorageErrorReason.OwnerQuotaExceeded));
        Assert.Equal(new OwnerUsage(30, 30_000), s.Store.GetOwnerUsage(Alice));
        Assert.Equal(30, s.Store.GetUsage().ShardCount);
    }

    [Fact]
    public async Task CollectExpired_ReleasesAnExpiredHold_WhileAnotherOwnerKeepsTheShard()
    {
        await using var s = Open(time: new ManualTimeProvider(Start));
        using var released = new CounterWatch(s.Meter, "overlay.storage.holds_released");
        var random = new Random(23);
        var data = RandomBytes(random, 2000);
        var id = (await s.Store.PutAsync(data, new ShardPutOptions(Start.AddHours(1), Owner: Alice), Ct)).Id;
        await s.Store.PutAsync(data, new ShardPutOptions(Start.AddHours(4), Owner: Bob), Ct);
        var pinnedOwned = (await s.Store.PutAsync(RandomBytes(random, 100), new ShardPutOptions(Start.AddHours(1), Pinned: true, Owner: Alice), Ct)).Id;

        // Alice stopped renewing: her holds go, the shards stay (Bob's hold; a pin), and she is no longer charged.
        Assert.Equal(new ExpirySweep(0, 2), await s.Administration.CollectExpiredAsync(Start.AddHours(1), 10, Ct));
        Assert.Equal(2, released.Total);
        Assert.Equal(default, s.Store.GetOwnerUsage(Alice));
        Assert.Equal(new OwnerUsage(1, 2000), s.Store.GetOwnerUsage(Bob));
        AssertServes(s.Store, id, data);
        Assert.True(s.Store.Contains(pinnedOwned));
        Assert.False(await s.Store.RenewAsync(id, Start.AddHours(9), Alice, Ct));

        // Bob renews; the shard lives past its old expiry, until his renewed hold ends.
        Assert.True(await s.Store.RenewAsync(id, Start.AddHours(6), Bob, Ct));
        Assert.Equal(new ExpirySweep(0, 0), await s.Administration.CollectExpiredAsync(Start.AddHours(5), 10, Ct));
        Assert.True(s.Store.Contains(id));
        await s.ReopenAsync();
        Assert.Equal(new OwnerUsage(1, 2000), s.Store.GetOwnerUsage(Bob));
        Assert.Equal(new ExpirySweep(1, 0), await s.Administration.CollectExpiredAsync(Start.AddHours(6), 10, Ct));
        Assert.False(s.Store.Contains(id));
        Assert.Equal(default, s.Store.GetOwnerUsage(Bob));
    }

    [Fact]
    public async Task CollectExpired_CountsShardsAndHoldsAgainstOneBatch()
    {
        await using var s = Open(time: new ManualTimeProvider(Start));
        var random = new Random(24);
        for (var i = 0; i < 3; i++)
        {
            await s.Store.PutAsync(RandomBytes(random, 10), new ShardPutOptions(Start.AddMinutes(1)), Ct);
        }

        for (var i = 0; i < 4; i++)
        {
            // Held by Alice until a minute, kept by a later expiry of the shard itself.
            var data = RandomBytes(random, 10);
            await s.Store.PutAsync(data, new ShardPutOptions(Start.AddMinutes(1), Owner: Alice), Ct);
            await s.Store.PutAsync(data, new ShardPutOptions(Start.AddDays(1)), Ct);
        }

        var at = Start.AddMinutes(1);
        Assert.Equal(new ExpirySweep(3, 2), await s.Administration.CollectExpiredAsync(at, 5, Ct));
        Assert.Equal(new ExpirySweep(0, 2), await s.Administration.CollectExpiredAsync(at, 5, Ct));
        Assert.Equal(new ExpirySweep(0, 0), await s.Administration.CollectExpiredAsync(at, 5, Ct));
        Assert.Equal(default, s.Store.GetOwnerUsage(Alice));
        Assert.Equal(4, s.Store.GetUsage().ShardCount);
    }

    [Fact]
    public async Task Renew_ByAnOwnerWithoutAHold_IsFalseAndChangesNothing()
    {
        await using var s = Open(time: new ManualTimeProvider(Start));
        var data = RandomBytes(new Random(25), 100);
        var id = (await s.Store.PutAsync(data, new ShardPutOptions(Start.AddHours(1), Owner: Alice), Ct)).Id;

        Assert.False(await s.Store.RenewAsync(id, Start.AddDays(1), Bob, Ct));
        Assert.False(await s.Store.RenewAsync(ShardId.Compute([1]), Start.AddDays(1), Alice, Ct));

        Assert.True(s.Store.TryGetInfo(id, out var info));
        Assert.Equal(Start.AddHours(1), info.ExpiresAt);
        Assert.Equal(default, s.Store.GetOwnerUsage(Bob));
        // Alice's renewal extends her hold and the shard: at her old expiry nothing goes.
        Assert.True(await s.Store.RenewAsync(id, Start.AddDays(1), Alice, Ct));
        Assert.Equal(new ExpirySweep(0, 0), await s.Administration.CollectExpiredAsync(Start.AddHours(1), 10, Ct));
        Assert.Equal(new OwnerUsage(1, 100), s.Store.GetOwnerUsage(Alice));
    }
}
