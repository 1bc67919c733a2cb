using Overlay.Crypto;
using Overlay.Storage;

namespace Overlay.Storage.Tests.Contract;

// Seeded random operations checked step by step against a small model of the contract.
public abstract partial class ShardStoreContractTests
{
    private const long Never = long.MaxValue;

    /// <summary>What the contract says one shard is: its size, life, pin and holds (expiries in minutes since the start).</summary>
    private sealed class ModelShard(int size)
    {
        public int Size { get; } = size;

        public long Expiry { get; set; } = Never;

        public bool Pinned { get; set; }

        public Dictionary<PeerId, long> Holds { get; } = [];
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task RandomOperations_AgreeWithTheModel(int seed)
    {
        const long Capacity = 30_000;
        var clock = new ManualTimeProvider(Start);
        await using var s = Open(o => o.CapacityBytes = Capacity, clock);
        var random = new Random(seed);
        var contents = Enumerable.Range(0, 40).Select(_ => RandomBytes(random, random.Next(0, 3000))).ToArray();
        var ids = contents.Select(c => ShardId.Compute(c)).ToArray();
        PeerId?[] owners = [null, Alice, Bob, PeerId.Random(new Random(1004))];
        var model = new Dictionary<ShardId, ModelShard>();
        long minute = 0;

        DateTimeOffset? Time(long m) => m == Never ? null : Start.AddMinutes(m);
        OwnerUsage Usage(PeerId owner) => new(
            model.Values.Count(m => m.Holds.ContainsKey(owner)),
            model.Values.Where(m => m.Holds.ContainsKey(owner)).Sum(m => (long)m.Size));

        for (var step = 0; step < 400; step++)
        {
            var c = random.Next(contents.Length);
            var id = ids[c];
            var owner = owners[random.Next(owners.Length)];
            var expiry = random.Next(4) == 0 ? Never : minute + random.Next(1, 120);
            var context = $"seed {seed}, step {step}";
            switch (random.Next(10))
            {
                case < 4:
                {
                    var pinned = random.Next(10) == 0;
                    long? limit = owner is not null && random.Next(3) == 0 ? random.Next(0, 12_000) : null;
                    var size = contents[c].Length;
                    model.TryGetValue(id, out var shard);
                    var newHold = owner is { } o && (shard is null || !shard.Holds.ContainsKey(o));
                    StorageErrorReason? expected =
                        newHold && limit is { } l && Usage(owner!.Value).ChargedBytes + size + StorageUsage.ShardOverheadBytes > l ? StorageErrorReason.OwnerQuotaExceeded
                        : shard is null && Charge(model.Count + 1, model.Values.Sum(m => (long)m.Size) + size) > Capacity ? StorageErrorReason.QuotaExceeded
                        : null;
                    try
                    {
                        var put = await s.Store.PutAsync(contents[c], new ShardPutOptions(Time(expiry), pinned, owner, limit), Ct);
                        Assert.True(expected is null, $"{context}: stored, expected {expected}");
                        Assert.Equal(shard is null, put.Stored);
                    }
                    catch (StorageException e)
                    {
                        Assert.True(expected == e.Reason, $"{context}: {e.Reason}, expected {expected?.ToString() ?? "success"}");
                        break;
                    }

                    if (shard is null)
                    {
                        shard = model[id] = new ModelShard(size) { Expiry = expiry };
                    }

                    shard.Expiry = Math.Max(shard.Expiry, expiry);
                    shard.Pinned |= pinned;
                    if (owner is { } holder)
                    {
                        shard.Holds[holder] = Math.Max(shard.Holds.GetValueOrDefault(holder, long.MinValue), expiry);
                    }

                    break;
                }

                case 4:
                    Assert.True(model.Remove(id) == await s.Store.DeleteAsync(id, Ct), context);
                    break;
                case 5:
                {
                    var holds = model.TryGetValue(id, out var shard) && (owner is not { } o || shard.Holds.ContainsKey(o));
                    Assert.True(holds == await s.Store.RenewAsync(id, Time(expiry), owner, Ct), context);
                    if (holds)
                    {
                        shard!.Expiry = Math.Max(shard.Expiry, expiry);
                        if (owner is { } holder)
                        {
                            shard.Holds[holder] = Math.Max(shard.Holds[holder], expiry);
                        }
                    }

                    break;
                }

                case 6:
                {
                    var pinned = random.Next(2) == 0;
                    Assert.True(model.TryGetValue(id, out var shard) == await s.Store.SetPinnedAsync(id, pinned, Ct), context);
                    if (shard is not null)
                    {
                        shard.Pinned = pinned;
                    }

                    break;
                }

                case 7:
                {
                    minute += random.Next(1, 40);
                    clock.Advance(TimeSpan.FromMinutes(minute) - (clock.GetUtcNow() - Start));
                    var batch = random.Next(1, 6);
                    var swept = new ExpirySweep(0, 0);
                    ExpirySweep sweep;
                    do
                    {
                        sweep = await s.Administration.CollectExpiredAsync(clock.GetUtcNow(), batch, Ct);
                        Assert.True(sweep.Total <= batch, context);
                        swept = new ExpirySweep(swept.ShardsDeleted + sweep.ShardsDeleted, swept.HoldsReleased + sweep.HoldsReleased);
                    }
                    while (sweep.Total == batch);

                    var gone = model.Where(m => !m.Value.Pinned && m.Value.Expiry <= minute).Select(m => m.Key).ToList();
                    gone.ForEach(g => model.Remove(g));
                    var released = 0;
                    foreach (var shard in model.Values)
                    {
                        foreach (var (holder, until) in shard.Holds.Where(h => h.Value <= minute).ToList())
                        {
                            shard.Holds.Remove(holder);
                            released++;
                        }
                    }

                    Assert.True(new ExpirySweep(gone.Count, released) == swept, $"{context}: {swept}, expected {gone.Count} shards and {released} holds");
                    break;
                }

                default:
                {
                    var buffer = new byte[100];
                    var offset = random.Next(0, 3001);
                    var result = s.Store.ReadRange(id, offset, buffer);
                    if (!model.ContainsKey(id))
                    {
                        Assert.True(result.Status == ShardReadStatus.NotFound, context);
                    }
                    else if (offset > contents[c].Length)
                    {
                        Assert.True(new ShardReadResult(ShardReadStatus.OffsetBeyondEnd, contents[c].Length) == result, context);
                    }
                    else
                    {
                        var expected = Math.Min(100, contents[c].Length - offset);
                        Assert.True(new ShardReadResult(ShardReadStatus.Found, expected) == result, context);
                        Assert.True(contents[c].AsSpan(offset, expected).SequenceEqual(buffer.AsSpan(0, expected)), context);
                    }

                    break;
                }
            }

            var usage = s.Store.GetUsage();
            Assert.True((model.Count, model.Values.Sum(m => (long)m.Size)) == (usage.ShardCount, usage.UsedBytes), $"{context}: usage {usage}");
            foreach (var holder in owners)
            {
                if (holder is { } o)
                {
                    Assert.True(Usage(o) == s.Store.GetOwnerUsage(o), $"{context}: owner usage {s.Store.GetOwnerUsage(o)}, expected {Usage(o)}");
                }
            }

            if (step % 50 == 49)
            {
                foreach (var (shardId, shard) in model)
                {
                    Assert.True(s.Store.TryGetInfo(shardId, out var info), context);
                    Assert.True((shard.Size, Time(shard.Expiry), shard.Pinned) == (info.Size, info.ExpiresAt, info.Pinned), $"{context}: {info}");
                }

                Assert.Equal(model.Keys.Order(), (await ListAsync(s.Store.EnumerateAsync(Ct))).Select(i => i.Id));
                await s.ReopenAsync();
            }
        }
    }
}
