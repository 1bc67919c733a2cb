using Overlay.Crypto;
using Overlay.Storage;
using Overlay.Storage.InMemory;

namespace Overlay.Storage.Tests;

/// <summary>What only the in-memory store has: runs that repeat exactly, and its fault injection.</summary>
public sealed class InMemoryShardStoreTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task SameSeed_GivesTheSameRun_AndAnotherSeedAnother()
    {
        var first = await RunAsync(seed: 5);
        var again = await RunAsync(seed: 5);
        var other = await RunAsync(seed: 6);

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }

    /// <summary>Seeded puts, renewals, deletes, damage and collections on the manual clock; everything observable, as text.</summary>
    private static async Task<List<string>> RunAsync(int seed)
    {
        var clock = new ManualTimeProvider(Start);
        await using var store = new InMemoryShardStore(new StorageOptions { CapacityBytes = 200_000 }, clock);
        var random = new Random(seed);
        var owners = Enumerable.Range(0, 3).Select(i => PeerId.Random(new Random(seed * 10 + i))).ToArray();
        var log = new List<string>();
        var ids = new List<ShardId>();
        for (var step = 0; step < 300; step++)
        {
            clock.Advance(TimeSpan.FromSeconds(random.Next(0, 90)));
            switch (random.Next(6))
            {
                case < 3:
                    try
                    {
                        var put = await store.PutAsync(TempStore.RandomBytes(random, random.Next(1, 4000)), new ShardPutOptions(clock.GetUtcNow().AddMinutes(random.Next(1, 30)), Owner: owners[random.Next(3)]), Ct);
                        ids.Add(put.Id);
                        log.Add($"put {put}");
                    }
                    catch (StorageException e)
                    {
                        log.Add($"put {e.Reason}");
                    }

                    break;
                case 3 when ids.Count > 0:
                    log.Add($"renew {await store.RenewAsync(ids[random.Next(ids.Count)], clock.GetUtcNow().AddMinutes(20), owners[random.Next(3)], Ct)}");
                    break;
                case 4 when ids.Count > 0:
                    var damaged = ids[random.Next(ids.Count)];
                    log.Add($"damage {store.TryGetInfo(damaged, out _) && store.Corrupt(damaged, 0)} {store.Read(damaged, new byte[4000]).Status}");
                    break;
                default:
                    log.Add($"sweep {await store.CollectExpiredAsync(clock.GetUtcNow(), 7, Ct)}");
                    break;
            }
        }

        await foreach (var info in store.EnumerateAsync(Ct))
        {
            log.Add($"held {info}");
        }

        await foreach (var entry in store.EnumerateQuarantineAsync(Ct))
        {
            log.Add($"quarantined {entry}");
        }

        log.AddRange(owners.Select(o => $"owner {store.GetOwnerUsage(o)}"));
        log.Add($"usage {store.GetUsage()}");
        return log;
    }

    [Fact]
    public async Task Corrupt_InvertsOneStoredByte_OnlyInsideAStoredShard()
    {
        await using var store = new InMemoryShardStore(new StorageOptions());
        var data = TempStore.RandomBytes(new Random(1), 100);
        var id = (await store.PutAsync(data, cancellationToken: Ct)).Id;

        Assert.False(store.Corrupt(ShardId.Compute([1]), 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => store.Corrupt(id, 100));
        Assert.Throws<ArgumentOutOfRangeException>(() => store.Corrupt(id, -1));
        // The caller's bytes were copied at put: damage to the stored ones leaves them alone.
        Assert.True(store.Corrupt(id, 99));
        Assert.Equal(TempStore.RandomBytes(new Random(1), 100), data);
        Assert.Equal(ShardReadStatus.Corrupted, store.Read(id, new byte[100]).Status);
        Assert.False(store.Contains(id));
    }
}
