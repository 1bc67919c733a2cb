using Overlay.Crypto;
using Overlay.Node.Configuration;
using Overlay.Node.Shards;
using Overlay.Storage;
using Overlay.Storage.InMemory;
using Overlay.Transport;
using Overlay.Transport.InMemory;

namespace Overlay.Node.Tests.Shards;

/// <summary>Per-identity and per-prefix quotas of <see cref="StoreAdmission"/>, with stores committed as the handler commits them.</summary>
public sealed class StoreAdmissionTests
{
    private static readonly VirtualTimeProvider Clock = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task Admit_ManyIdentitiesInOneSlash24_ExhaustOnlyThatPrefixsQuota()
    {
        var options = new ShardExchangeOptions { MaxShardsPerPrefix = 10, MaxIdentitiesPerPrefix = 100 };
        var (admission, store) = Create(options);
        var refusals = new List<(ShardRefusal, QuotaScope)>();
        for (var i = 0; i < 25; i++)
        {
            // 25 identities, each from its own address in 203.0.113.0/24, each storing 1 shard.
            var verdict = await StoreAsync(admission, store, Peer(i), $"tcp://203.0.113.{i + 1}:4001", seed: i);
            if (verdict.Refusal != ShardRefusal.None)
            {
                refusals.Add((verdict.Refusal, verdict.Scope));
            }
        }

        Assert.Equal(15, refusals.Count);
        Assert.All(refusals, r => Assert.Equal((ShardRefusal.Quota, QuotaScope.Prefix), r));
        // Others are still served: another /24, and an IPv6 sender.
        Assert.Equal(ShardRefusal.None, (await StoreAsync(admission, store, Peer(100), "tcp://198.51.100.7:4001", seed: 100)).Refusal);
        Assert.Equal(ShardRefusal.None, (await StoreAsync(admission, store, Peer(101), "tcp://[2001:db8:1::5]:4001", seed: 101)).Refusal);
        // A /48 is one prefix: another host in 2001:db8:1::/48 shares its count.
        Assert.Equal("2001:db8:1::/48", AddressPrefix.Of(TransportAddress.Parse("tcp://[2001:db8:1:ffff::9]:4001")));
    }

    [Fact]
    public async Task Admit_WithoutAPrefixQuota_TheSameIdentitiesFillTheNode()
    {
        // The attack without the defence: per-identity quotas alone let one /24 store as much as it has identities.
        var options = new ShardExchangeOptions { MaxShardsPerPrefix = 100_000_000 };
        var (admission, store) = Create(options);
        for (var i = 0; i < 25; i++)
        {
            Assert.Equal(ShardRefusal.None, (await StoreAsync(admission, store, Peer(i), $"tcp://203.0.113.{i + 1}:4001", seed: i)).Refusal);
        }
    }

    [Fact]
    public async Task Admit_MoreIdentitiesThanAPrefixMayHave_RefusesTheNewcomers()
    {
        var (admission, store) = Create(new ShardExchangeOptions { MaxIdentitiesPerPrefix = 3 });
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(ShardRefusal.None, (await StoreAsync(admission, store, Peer(i), "tcp://203.0.113.9:4001", seed: i)).Refusal);
        }

        var fourth = await StoreAsync(admission, store, Peer(3), "tcp://203.0.113.10:4001", seed: 3);
        Assert.Equal((ShardRefusal.Quota, QuotaScope.Prefix), (fourth.Refusal, fourth.Scope));
        // A known identity goes on storing.
        Assert.Equal(ShardRefusal.None, (await StoreAsync(admission, store, Peer(0), "tcp://203.0.113.9:4001", seed: 50)).Refusal);
    }

    [Fact]
    public void Admit_ConcurrentStoresOfOneIdentity_CannotPassTheShardCountTogether()
    {
        var (admission, store) = Create(new ShardExchangeOptions { MaxShardsPerPeer = 2 });
        var from = TransportAddress.Parse("tcp://192.0.2.1:4001");
        // Three stores admitted before any commits: the third must count the two in flight.
        var first = admission.Admit(store, Peer(0), from, ShardId.Compute([1]), 100);
        var second = admission.Admit(store, Peer(0), from, ShardId.Compute([2]), 100);
        var third = admission.Admit(store, Peer(0), from, ShardId.Compute([3]), 100);
        Assert.Equal(ShardRefusal.None, first.Refusal);
        Assert.Equal(ShardRefusal.None, second.Refusal);
        Assert.Equal((ShardRefusal.Quota, QuotaScope.Identity), (third.Refusal, third.Scope));
        // What the pre-check alone saw: nothing committed yet, so without reservations all three would have passed.
        Assert.Equal(0, store.GetOwnerUsage(Peer(0)).ShardCount);

        // A store that fails releases its reservation.
        second.Ticket!.Dispose();
        Assert.Equal(ShardRefusal.None, admission.Admit(store, Peer(0), from, ShardId.Compute([4]), 100).Refusal);
        first.Ticket!.Dispose();
    }

    private static (StoreAdmission, InMemoryShardStore) Create(ShardExchangeOptions options) =>
        (new StoreAdmission(options, 1 << 20, Clock), new InMemoryShardStore(new StorageOptions { CapacityBytes = 1L << 30 }, Clock));

    private static PeerId Peer(int i) => PeerId.FromPublicKeyMaterial([(byte)i, (byte)(i >> 8), 7]);

    private static async Task<(ShardRefusal Refusal, QuotaScope Scope)> StoreAsync(StoreAdmission admission, InMemoryShardStore store, PeerId sender, string from, int seed)
    {
        var data = ShardTestNetwork.Shard(1000, seed);
        var (refusal, _, scope, ticket) = admission.Admit(store, sender, TransportAddress.Parse(from), ShardId.Compute(data), data.Length);
        using (ticket)
        {
            if (refusal == ShardRefusal.None)
            {
                await store.PutAsync(data, new ShardPutOptions(Clock.GetUtcNow().AddDays(1), Owner: sender));
            }
        }

        return (refusal, scope);
    }
}
