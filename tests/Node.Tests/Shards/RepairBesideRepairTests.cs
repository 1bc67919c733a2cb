using Overlay.Crypto;
using Overlay.Node.Shards;
using Overlay.Storage;

namespace Overlay.Node.Tests.Shards;

/// <summary>
/// A repair waiting on a silent candidate holds only its own shard's lock: the repair of another shard goes ahead at once,
/// even one whose id once shared a lock with it (the same first byte), while a second repair of the same shard waits for the
/// first and finds nothing left to do.
/// </summary>
public sealed class RepairBesideRepairTests
{
    // Owner 0; holders 1 and 2; 3 takes every stream and never answers; 4 and 5 are spare candidates.
    private const int Silent = 3;

    private static ShardTestNetwork Network(int seed) =>
        new(6, seed, o => o.Replicas = 2, (i, _, real) => i == Silent ? new SilentHolder(real) { Silent = true } : real);

    [Fact]
    public void Repair_WhileAnotherShardsRepairWaitsOnASilentCandidate_StartsAndEndsAtOnce()
    {
        using var t = Network(43);
        var (x, y) = TwoShardsWithTheSameFirstByte();
        var owner = t.OwnerOf(0);
        t.Net.Run(async () =>
        {
            await t.StartAsync();
            var (idX, idY) = (await PlaceAsync(t, owner, x), await PlaceAsync(t, owner, y));
            var gone = t.Nodes[1].Identity.PeerId;

            // X's repair asks the silent candidate first and waits for it until StreamTimeout.
            var began = t.Clock.GetUtcNow();
            var repairX = owner.Care.RepairAsync(idX, [gone], null, CancellationToken.None);
            await Task.Delay(TimeSpan.FromSeconds(1), t.Clock);
            Assert.False(repairX.IsCompleted);

            // Y's repair passes the silent candidate over (as a daemon passes over holders it avoids) and needs no lock X holds.
            DateTimeOffset? startedY = null;
            var repairY = await owner.Care.RepairAsync(idY, [gone], () => startedY = t.Clock.GetUtcNow(), CancellationToken.None, new HashSet<PeerId> { t.Nodes[Silent].Identity.PeerId });
            Assert.Equal("repaired", repairY.Detail);
            Assert.NotNull(startedY);
            Assert.True(startedY.Value - began < TimeSpan.FromSeconds(2), $"Y's repair started {startedY.Value - began} after X's");
            Assert.True(t.Clock.GetUtcNow() - began < TimeSpan.FromSeconds(2), $"Y's repair ended {t.Clock.GetUtcNow() - began} after X's began");
            Assert.False(repairX.IsCompleted);

            // X's repair still ends well: the silent candidate costs it the timeout, the next one takes the shard.
            Assert.Equal("repaired", (await repairX).Detail);
            Assert.True(t.Clock.GetUtcNow() - began >= t.Options.StreamTimeout);
            Assert.Equal(new[] { 2, 4 }, owner.Status(idX)!.Holders.Select(h => IndexOf(t, h.Peer)));
            Assert.Equal(new[] { 2, 4 }, owner.Status(idY)!.Holders.Select(h => IndexOf(t, h.Peer)));
        });
    }

    [Fact]
    public void SecondRepairOfTheSameShard_WaitsForTheFirst_AndPlacesNoExtraHolder()
    {
        using var t = Network(44);
        var (x, _) = TwoShardsWithTheSameFirstByte();
        var owner = t.OwnerOf(0);
        t.Net.Run(async () =>
        {
            await t.StartAsync();
            var id = await PlaceAsync(t, owner, x);
            var gone = t.Nodes[1].Identity.PeerId;
            var first = owner.Care.RepairAsync(id, [gone], null, CancellationToken.None);
            await Task.Delay(TimeSpan.FromSeconds(1), t.Clock);

            // Called with the same stale view of the holders: it must not place a holder of its own beside the first repair's.
            var startedSecond = false;
            var second = owner.Care.RepairAsync(id, [gone], () => startedSecond = true, CancellationToken.None, new HashSet<PeerId> { t.Nodes[Silent].Identity.PeerId });
            await Task.Delay(TimeSpan.FromSeconds(5), t.Clock);
            Assert.False(second.IsCompleted);
            Assert.False(startedSecond);

            Assert.Equal("repaired", (await first).Detail);
            Assert.Equal("enough live holders", (await second).Detail);
            Assert.False(startedSecond);
            Assert.Equal(new[] { 2, 4 }, owner.Status(id)!.Holders.Select(h => IndexOf(t, h.Peer)));
            Assert.False(t.Nodes[5].Store.Contains(id));
        });
    }

    [Fact]
    public async Task Locks_AreForgottenOnceNobodyHoldsOrAwaitsThem_EvenAfterACancelledWait()
    {
        var locks = new ShardLocks();
        var id = ShardId.Compute([1, 2, 3]);
        var held = locks.EnterAsync(id, CancellationToken.None);
        Assert.True(held.IsCompletedSuccessfully);
        using var cancel = new CancellationTokenSource();
        var waiting = locks.EnterAsync(id, cancel.Token);
        var other = locks.EnterAsync(ShardId.Compute([4]), CancellationToken.None);
        Assert.True(other.IsCompletedSuccessfully);
        Assert.False(waiting.IsCompleted);
        Assert.Equal(2, locks.InUse);

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        other.Result.Dispose();
        Assert.Equal(1, locks.InUse);
        held.Result.Dispose();
        held.Result.Dispose();
        Assert.Equal(0, locks.InUse);
        Assert.True(locks.EnterAsync(id, CancellationToken.None).IsCompletedSuccessfully);
    }

    private static async Task<ShardId> PlaceAsync(ShardTestNetwork t, ShardOwner owner, byte[] data)
    {
        var id = ShardId.Compute(data);
        var put = await owner.PutAsync(id, data, [.. owner.Candidates(id).Take(2)], 2, CancellationToken.None);
        Assert.Equal(new[] { 1, 2 }, put.Holders.Select(h => IndexOf(t, h.Peer)));
        return id;
    }

    private static int IndexOf(ShardTestNetwork t, PeerId peer) => t.Nodes.FindIndex(n => n.Identity.PeerId == peer);

    /// <summary>Two shards whose ids begin with the same byte: under locks striped by that byte they would share one.</summary>
    private static (byte[] X, byte[] Y) TwoShardsWithTheSameFirstByte()
    {
        var seen = new Dictionary<byte, byte[]>();
        Span<byte> id = stackalloc byte[ShardId.Size];
        for (var seed = 0; seed < 1_000; seed++)
        {
            var data = ShardTestNetwork.Shard(20_000, seed);
            ShardId.Compute(data).WriteTo(id);
            if (seen.TryGetValue(id[0], out var earlier))
            {
                return (earlier, data);
            }

            seen[id[0]] = data;
        }

        throw new InvalidOperationException("no two of a thousand shards share a first byte");
    }
}
