using System.Net;
using Overlay.Crypto;
using Overlay.Dht.Routing;

namespace Overlay.Dht.Tests;

public class RoutingTableTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static DhtOptions Small(int k = 2, int cache = 2) => new()
    {
        K = k,
        Alpha = 1,
        ReplacementCacheSize = cache,
        MaxContactsPerGroupPerBucket = k,
        PreferLowLatency = false,
        // Most tests here see contacts seconds apart and exercise the ping on every such sighting.
        FreshContactWindow = TimeSpan.Zero,
        EvictionPingsPerMinute = 600,
    };

    [Fact]
    public void Observe_DefaultOptions_FullBucketCachesTenNewcomers()
    {
        // Bucket 0 of id 0 holds every id with the top bit set: fill it, then let 25 more peers arrive.
        var table = new RoutingTable(TinyIds.Of(0), new DhtOptions(), T0);
        for (var i = 0; i < 45; i++)
        {
            table.Observe(TinyIds.Of((byte)(0x80 + i)), new NetworkGroup(0x0400000000000000UL | (uint)i), T0);
        }

        Assert.Equal(20, table.Count);
        Assert.Equal(10, table.ReplacementCount(0));
    }

    [Fact]
    public void Observe_EvictionPingBudgetSpent_CachesNewcomersUntilItRefills()
    {
        var options = Small(k: 1, cache: 4);
        options.EvictionPingsPerMinute = 2;
        var table = new RoutingTable(TinyIds.Of(0), options, T0);
        // Three full one-contact buckets (prefix lengths 0, 1 and 2), each with a silent contact.
        table.Observe(TinyIds.Of(0x80), default, T0);
        table.Observe(TinyIds.Of(0x40), default, T0);
        table.Observe(TinyIds.Of(0x20), default, T0);
        var now = T0.AddHours(1);

        // One minute's worth (two pings) may be spent at once, then newcomers wait in the cache.
        Assert.Equal(ObserveOutcome.PingRequired, table.Observe(TinyIds.Of(0x81), default, now).Outcome);
        Assert.Equal(ObserveOutcome.PingRequired, table.Observe(TinyIds.Of(0x41), default, now).Outcome);
        var refused = table.Observe(TinyIds.Of(0x21), default, now.AddSeconds(29));
        Assert.Equal(ObserveOutcome.Cached, refused.Outcome);
        Assert.Null(refused.PingTarget);
        Assert.Equal(1, table.ReplacementCount(2));
        Assert.NotNull(table.Find(TinyIds.Of(0x20)));

        // Half a minute more refills one ping at two a minute.
        var later = table.Observe(TinyIds.Of(0x22), default, now.AddSeconds(30));
        Assert.Equal(ObserveOutcome.PingRequired, later.Outcome);
        Assert.Equal(TinyIds.Of(0x20), later.PingTarget!.Id);
    }

    [Fact]
    public void Observe_ZeroEvictionPingBudget_NeverPingsAndKeepsTheOldContact()
    {
        var options = Small(k: 1);
        options.EvictionPingsPerMinute = 0;
        var table = new RoutingTable(TinyIds.Of(0), options, T0);
        table.Observe(TinyIds.Of(0x80), default, T0);
        for (var i = 1; i < 40; i++)
        {
            var r = table.Observe(TinyIds.Of((byte)(0x80 + i)), default, T0.AddHours(i));
            Assert.Equal(ObserveOutcome.Cached, r.Outcome);
        }

        Assert.NotNull(table.Find(TinyIds.Of(0x80)));
        Assert.Null(table.Find(TinyIds.Of(0x81)));
    }

    [Fact]
    public void Observe_FullBucketWhoseOldestWasSeenWithinFreshWindow_CachesNewcomerWithoutPing()
    {
        var options = Small(k: 2);
        options.FreshContactWindow = TimeSpan.FromMinutes(15);
        var table = new RoutingTable(TinyIds.Of(0), options, T0);
        table.Observe(TinyIds.Of(0x80), default, T0);
        table.Observe(TinyIds.Of(0x90), default, T0.AddMinutes(1));

        var early = table.Observe(TinyIds.Of(0xA0), default, T0.AddMinutes(14));
        Assert.Equal(ObserveOutcome.Cached, early.Outcome);
        Assert.Null(early.PingTarget);
        Assert.Equal(1, table.ReplacementCount(0));

        // Once the oldest has been silent for the whole window it is pinged, and only it.
        var late = table.Observe(TinyIds.Of(0xB0), default, T0.AddMinutes(15));
        Assert.Equal(ObserveOutcome.PingRequired, late.Outcome);
        Assert.Equal(TinyIds.Of(0x80), late.PingTarget!.Id);
        Assert.Equal(ObserveOutcome.Cached, table.Observe(TinyIds.Of(0xC0), default, T0.AddMinutes(15).AddSeconds(1)).Outcome);

        // It answered: it is fresh again, and the next oldest (seen at minute 1) is still within its window,
        // so newcomers wait without pinging either of them again.
        table.OnPingResult(TinyIds.Of(0x80), answered: true, T0.AddMinutes(15).AddSeconds(2));
        var after = table.Observe(TinyIds.Of(0xD0), default, T0.AddMinutes(15.9));
        Assert.Equal(ObserveOutcome.Cached, after.Outcome);
        Assert.NotNull(table.Find(TinyIds.Of(0x80)));
        Assert.NotNull(table.Find(TinyIds.Of(0x90)));

        // The contact seen at minute 1 is due once its own window has passed, not before.
        var due = table.Observe(TinyIds.Of(0xE0), default, T0.AddMinutes(16));
        Assert.Equal(ObserveOutcome.PingRequired, due.Outcome);
        Assert.Equal(TinyIds.Of(0x90), due.PingTarget!.Id);
    }

    [Theory]
    [InlineData(0b0000_0000, 0b1000_0000, 0)]
    [InlineData(0b0000_0000, 0b0100_0000, 1)]
    [InlineData(0b0000_0000, 0b0000_0001, 7)]
    [InlineData(0b1010_1010, 0b1010_1011, 7)]
    [InlineData(0b1010_1010, 0b1011_1010, 3)]
    public void BucketIndexOf_TinyIds_IsCommonPrefixLength(int self, int other, int expected)
    {
        var table = new RoutingTable(TinyIds.Of((byte)self), Small(), T0);
        Assert.Equal(expected, table.BucketIndexOf(TinyIds.Of((byte)other)));
    }

    [Fact]
    public void Observe_Self_IsRejected()
    {
        var table = new RoutingTable(TinyIds.Of(7), Small(), T0);
        Assert.Equal(ObserveOutcome.RejectedSelf, table.Observe(TinyIds.Of(7), default, T0).Outcome);
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public void Observe_FillsBucketsByPrefix_AsWrittenByHand()
    {
        // Self 0000_0000: 1xxx_xxxx goes to bucket 0, 01xx_xxxx to bucket 1, 001x_xxxx to bucket 2.
        var table = new RoutingTable(TinyIds.Of(0), Small(k: 3), T0);
        foreach (var b in new byte[] { 0x80, 0xC0, 0xFF, 0x40, 0x7F, 0x20 })
        {
            Assert.Equal(ObserveOutcome.Added, table.Observe(TinyIds.Of(b), default, T0).Outcome);
        }

        Assert.Equal(3, table.BucketSize(0));
        Assert.Equal(2, table.BucketSize(1));
        Assert.Equal(1, table.BucketSize(2));
        Assert.Equal(6, table.Count);
    }

    [Fact]
    public void Observe_KnownContact_MovesToMostRecentlySeenEnd()
    {
        var table = new RoutingTable(TinyIds.Of(0), Small(k: 3), T0);
        table.Observe(TinyIds.Of(0x80), default, T0);
        table.Observe(TinyIds.Of(0x90), default, T0);
        table.Observe(TinyIds.Of(0xA0), default, T0);
        Assert.Equal(ObserveOutcome.Updated, table.Observe(TinyIds.Of(0x80), default, T0.AddSeconds(1)).Outcome);

        var bucket = new Contact[3];
        Assert.Equal(3, table.CopyBucket(0, bucket));
        Assert.Equal(new byte[] { 0x90, 0xA0, 0x80 }, bucket.Select(c => TinyIds.Top(c.Id)).ToArray());
        Assert.Equal(T0.AddSeconds(1), table.Find(TinyIds.Of(0x80))!.LastSeen);
    }

    [Fact]
    public void Observe_FullBucket_AsksToPingLeastRecentlySeen_AndKeepsItWhenItAnswers()
    {
        var table = new RoutingTable(TinyIds.Of(0), Small(k: 2), T0);
        table.Observe(TinyIds.Of(0x80), default, T0);
        table.Observe(TinyIds.Of(0x90), default, T0.AddSeconds(1));

        var result = table.Observe(TinyIds.Of(0xA0), default, T0.AddSeconds(2));
        Assert.Equal(ObserveOutcome.PingRequired, result.Outcome);
        Assert.Equal(TinyIds.Of(0x80), result.PingTarget!.Id);
        Assert.Equal(1, table.ReplacementCount(0));

        // While the ping is outstanding, further newcomers just wait in the cache.
        Assert.Equal(ObserveOutcome.Cached, table.Observe(TinyIds.Of(0xB0), default, T0.AddSeconds(3)).Outcome);

        table.OnPingResult(TinyIds.Of(0x80), answered: true, T0.AddSeconds(4));
        Assert.NotNull(table.Find(TinyIds.Of(0x80)));
        Assert.Null(table.Find(TinyIds.Of(0xA0)));
        Assert.Equal(2, table.ReplacementCount(0));
    }

    [Fact]
    public void OnPingResult_NoAnswer_EvictsAndPromotesNewestCacheEntry()
    {
        var table = new RoutingTable(TinyIds.Of(0), Small(k: 2), T0);
        table.Observe(TinyIds.Of(0x80), default, T0);
        table.Observe(TinyIds.Of(0x90), default, T0);
        var ping = table.Observe(TinyIds.Of(0xA0), default, T0.AddSeconds(1)).PingTarget!;
        table.Observe(TinyIds.Of(0xB0), default, T0.AddSeconds(2));

        table.OnPingResult(ping.Id, answered: false, T0.AddSeconds(3));

        Assert.Null(table.Find(TinyIds.Of(0x80)));
        Assert.NotNull(table.Find(TinyIds.Of(0xB0)));
        Assert.Equal(2, table.Count);
        Assert.Equal(1, table.ReplacementCount(0));
    }

    [Fact]
    public void Observe_PingReportNeverArrives_CountsAsFailureAfterTimeout()
    {
        var options = Small(k: 1);
        options.RequestTimeout = TimeSpan.FromSeconds(5);
        var table = new RoutingTable(TinyIds.Of(0), options, T0);
        table.Observe(TinyIds.Of(0x80), default, T0);
        Assert.Equal(ObserveOutcome.PingRequired, table.Observe(TinyIds.Of(0x90), default, T0).Outcome);
        Assert.Equal(ObserveOutcome.Cached, table.Observe(TinyIds.Of(0xA0), default, T0.AddSeconds(4.999)).Outcome);

        var late = table.Observe(TinyIds.Of(0xB0), default, T0.AddSeconds(5));

        Assert.Null(table.Find(TinyIds.Of(0x80)));
        Assert.Equal(1, table.Count);
        Assert.NotEqual(ObserveOutcome.PingRequired, late.Outcome);
    }

    [Fact]
    public void PromoteReplacement_WithLatencyPreference_TakesLowestLatencyCacheEntry()
    {
        var options = Small(k: 1, cache: 3);
        options.PreferLowLatency = true;
        var table = new RoutingTable(TinyIds.Of(0), options, T0);
        table.Observe(TinyIds.Of(0x80), default, T0, latencyMs: 300);
        table.Observe(TinyIds.Of(0x90), default, T0, latencyMs: 40);
        table.Observe(TinyIds.Of(0xA0), default, T0, latencyMs: 10);
        table.Observe(TinyIds.Of(0xB0), default, T0, latencyMs: 90);

        // The slow long-lived contact answers: it stays, whatever the latencies of the newcomers.
        table.OnPingResult(TinyIds.Of(0x80), answered: true, T0.AddSeconds(1));
        Assert.NotNull(table.Find(TinyIds.Of(0x80)));

        table.Observe(TinyIds.Of(0xC0), default, T0.AddSeconds(2), latencyMs: 200);
        table.OnPingResult(TinyIds.Of(0x80), answered: false, T0.AddSeconds(3));
        Assert.NotNull(table.Find(TinyIds.Of(0xA0)));
    }

    [Fact]
    public void PromoteReplacement_WithoutPreference_TakesNewestCacheEntry()
    {
        var table = new RoutingTable(TinyIds.Of(0), Small(k: 1, cache: 3), T0);
        table.Observe(TinyIds.Of(0x80), default, T0, latencyMs: 300);
        table.Observe(TinyIds.Of(0xA0), default, T0, latencyMs: 10);
        table.Observe(TinyIds.Of(0xB0), default, T0, latencyMs: 90);
        table.OnPingResult(TinyIds.Of(0x80), answered: false, T0.AddSeconds(3));
        Assert.NotNull(table.Find(TinyIds.Of(0xB0)));
    }

    [Fact]
    public void OnRequestFailed_ReplacesOnlyWhenCacheHasSomeone()
    {
        var options = Small(k: 1);
        options.StaleContactFailures = 2;
        var table = new RoutingTable(TinyIds.Of(0), options, T0);
        table.Observe(TinyIds.Of(0x80), default, T0);
        table.OnRequestFailed(TinyIds.Of(0x80), T0);
        table.OnRequestFailed(TinyIds.Of(0x80), T0);
        table.OnRequestFailed(TinyIds.Of(0x80), T0);
        Assert.NotNull(table.Find(TinyIds.Of(0x80)));

        table.Observe(TinyIds.Of(0x90), default, T0);
        table.OnRequestFailed(TinyIds.Of(0x80), T0);
        Assert.Null(table.Find(TinyIds.Of(0x80)));
        Assert.NotNull(table.Find(TinyIds.Of(0x90)));
    }

    [Fact]
    public void OnRequestFailed_AnswerInBetween_ResetsTheCount()
    {
        var options = Small(k: 1);
        options.StaleContactFailures = 2;
        var table = new RoutingTable(TinyIds.Of(0), options, T0);
        table.Observe(TinyIds.Of(0x80), default, T0);
        table.Observe(TinyIds.Of(0x90), default, T0);
        table.OnPingResult(TinyIds.Of(0x80), true, T0);
        table.OnRequestFailed(TinyIds.Of(0x80), T0);
        table.Observe(TinyIds.Of(0x80), default, T0);
        table.OnRequestFailed(TinyIds.Of(0x80), T0);
        Assert.NotNull(table.Find(TinyIds.Of(0x80)));
    }

    [Fact]
    public void FindClosest_TinyIds_ReturnsByXorDistance()
    {
        var table = new RoutingTable(TinyIds.Of(0), Small(k: 8), T0);
        byte[] ids = [0x01, 0x02, 0x03, 0x10, 0x11, 0x40, 0x80, 0xF0];
        foreach (var b in ids)
        {
            table.Observe(TinyIds.Of(b), default, T0);
        }

        var result = new Contact[4];
        Assert.Equal(4, table.FindClosest(TinyIds.Of(0x12), result));
        // Distances to 0x12: 0x10->0x02, 0x11->0x03, 0x02->0x10, 0x03->0x11.
        Assert.Equal(new byte[] { 0x10, 0x11, 0x02, 0x03 }, result.Select(c => TinyIds.Top(c.Id)).ToArray());

        var toSelf = new Contact[3];
        Assert.Equal(3, table.FindClosest(TinyIds.Of(0), toSelf));
        Assert.Equal(new byte[] { 0x01, 0x02, 0x03 }, toSelf.Select(c => TinyIds.Top(c.Id)).ToArray());

        var all = new Contact[20];
        Assert.Equal(8, table.FindClosest(TinyIds.Of(0xFF), all));
        Assert.Equal(new byte[] { 0xF0, 0x80, 0x40, 0x11, 0x10, 0x03, 0x02, 0x01 }, all[..8].Select(c => TinyIds.Top(c.Id)).ToArray());
    }

    [Fact]
    public void FindClosest_RandomFullIds_MatchesGlobalSort()
    {
        var random = new Random(11);
        var options = new DhtOptions { K = 20, MaxContactsPerGroupPerBucket = 20 };
        var self = PeerId.Random(random);
        var table = new RoutingTable(self, options, T0);
        var present = new List<PeerId>();
        for (var i = 0; i < 3000; i++)
        {
            var id = PeerId.Random(random);
            if (table.Observe(id, default, T0).Outcome == ObserveOutcome.Added)
            {
                present.Add(id);
            }
        }

        Assert.Equal(present.Count, table.Count);
        var buffer = new Contact[20];
        var wide = new Contact[100];
        for (var q = 0; q < 300; q++)
        {
            var target = q % 10 == 0 ? self : PeerId.Random(random);
            var expected = present.OrderBy(p => p.Xor(target)).ToArray();
            var n = table.FindClosest(target, buffer);
            Assert.Equal(expected.Take(20), buffer[..n].Select(c => c.Id));
            n = table.FindClosest(target, wide);
            Assert.Equal(expected.Take(100), wide[..n].Select(c => c.Id));
        }
    }

    [Fact]
    public void RandomIdInBucket_FallsInThatBucket()
    {
        var random = new Random(3);
        var table = new RoutingTable(PeerId.Random(random), new DhtOptions(), T0);
        for (var i = 0; i < RoutingTable.BucketCount; i++)
        {
            Assert.Equal(i, table.BucketIndexOf(table.RandomIdInBucket(i, random)));
        }
    }

    [Fact]
    public void StaleBuckets_BeforeAndAfterInterval_AndLookupRefreshes()
    {
        var options = Small(k: 2);
        options.BucketRefreshInterval = TimeSpan.FromHours(1);
        var table = new RoutingTable(TinyIds.Of(0), options, T0);
        table.Observe(TinyIds.Of(0x80), default, T0);
        table.Observe(TinyIds.Of(0x20), default, T0); // bucket 2
        Span<int> stale = stackalloc int[256];

        Assert.Equal(0, table.StaleBuckets(T0.AddHours(1).AddTicks(-1), stale));
        var n = table.StaleBuckets(T0.AddHours(1), stale);
        Assert.Equal(new[] { 0, 1, 2, 3 }, stale[..n].ToArray());

        table.MarkLookup(TinyIds.Of(0x40), T0.AddMinutes(30)); // bucket 1
        n = table.StaleBuckets(T0.AddHours(1), stale);
        Assert.Equal(new[] { 0, 2, 3 }, stale[..n].ToArray());

        // Lookups of the node's own id and of a deep target mark empty buckets; they must not widen the
        // refresh to every empty bucket below them (one lookup each per interval for nothing).
        table.MarkLookup(TinyIds.Of(0), T0);
        table.MarkLookup(TinyIds.Of(0x01), T0);
        n = table.StaleBuckets(T0.AddHours(2), stale);
        Assert.Equal(new[] { 0, 1, 2, 3 }, stale[..n].ToArray());
    }

    [Fact]
    public void StaleBuckets_BucketLookedUpBeforeItsFirstPeer_IsDueFromThatLookup()
    {
        var options = Small(k: 2);
        options.BucketRefreshInterval = TimeSpan.FromHours(1);
        var table = new RoutingTable(TinyIds.Of(0), options, T0);
        table.Observe(TinyIds.Of(0x80), default, T0); // bucket 0
        table.MarkLookup(TinyIds.Of(0x10), T0.AddMinutes(30)); // bucket 3, empty when looked up
        table.MarkLookup(TinyIds.Of(0), T0.AddMinutes(30)); // the node's own id: bucket 255
        table.Observe(TinyIds.Of(0x10), default, T0.AddMinutes(40));
        Span<int> stale = stackalloc int[256];

        var n = table.StaleBuckets(T0.AddHours(1), stale);

        Assert.Equal(new[] { 0, 1, 2, 4 }, stale[..n].ToArray());
        n = table.StaleBuckets(T0.AddMinutes(90), stale);
        Assert.Equal(new[] { 0, 1, 2, 3, 4 }, stale[..n].ToArray());
    }

    [Fact]
    public void FindClosest_TargetDeeperThanEveryBucket_DeepestBucketsFirst()
    {
        var table = new RoutingTable(TinyIds.Of(0), Small(k: 2), T0);
        foreach (var top in new byte[] { 0x80, 0xC0, 0x40, 0x20, 0x30 })
        {
            table.Observe(TinyIds.Of(top), default, T0);
        }

        var found = new Contact[5];
        foreach (var target in new byte[] { 0x01, 0x00, 0x08 })
        {
            var n = table.FindClosest(TinyIds.Of(target), found);

            var expected = new byte[] { 0x80, 0xC0, 0x40, 0x20, 0x30 }.OrderBy(top => top ^ target).ToArray();
            Assert.Equal(expected, found[..n].Select(c => TinyIds.Top(c.Id)).ToArray());
        }
    }

    [Fact]
    public void Observe_GroupLimitPerBucket_RefusesThirdContactOfSameSubnet()
    {
        var options = new DhtOptions { K = 4, MaxContactsPerGroupPerBucket = 2, MaxContactsPerGroupInTable = 10 };
        var table = new RoutingTable(TinyIds.Of(0), options, T0);
        var subnet = NetworkGroup.FromAddress(IPAddress.Parse("203.0.113.7"));
        var sameSubnet = NetworkGroup.FromAddress(IPAddress.Parse("203.0.113.250"));
        Assert.Equal(subnet, sameSubnet);

        Assert.Equal(ObserveOutcome.Added, table.Observe(TinyIds.Of(0x80), subnet, T0).Outcome);
        Assert.Equal(ObserveOutcome.Added, table.Observe(TinyIds.Of(0x90), sameSubnet, T0).Outcome);
        Assert.Equal(ObserveOutcome.RejectedGroupLimitInBucket, table.Observe(TinyIds.Of(0xA0), subnet, T0).Outcome);
        Assert.Equal(ObserveOutcome.Added, table.Observe(TinyIds.Of(0xA0), NetworkGroup.FromAddress(IPAddress.Parse("203.0.114.1")), T0).Outcome);
        // Another bucket still accepts the subnet.
        Assert.Equal(ObserveOutcome.Added, table.Observe(TinyIds.Of(0x40), subnet, T0).Outcome);
    }

    [Fact]
    public void Observe_GroupLimitInTable_CountsAcrossBuckets_AndFreesOnRemove()
    {
        var options = new DhtOptions { K = 4, MaxContactsPerGroupPerBucket = 2, MaxContactsPerGroupInTable = 3 };
        var table = new RoutingTable(TinyIds.Of(0), options, T0);
        var g = NetworkGroup.FromAddress(IPAddress.Parse("2001:db8:1:2::1"));
        Assert.Equal(ObserveOutcome.Added, table.Observe(TinyIds.Of(0x80), g, T0).Outcome);
        Assert.Equal(ObserveOutcome.Added, table.Observe(TinyIds.Of(0x40), g, T0).Outcome);
        Assert.Equal(ObserveOutcome.Added, table.Observe(TinyIds.Of(0x20), g, T0).Outcome);
        Assert.Equal(ObserveOutcome.RejectedGroupLimitInTable, table.Observe(TinyIds.Of(0x10), g, T0).Outcome);

        Assert.True(table.Remove(TinyIds.Of(0x40)));
        Assert.Equal(ObserveOutcome.Added, table.Observe(TinyIds.Of(0x10), g, T0).Outcome);
    }

    [Fact]
    public void Observe_CachedPeerWhenBucketHasRoom_MovesOutOfTheCache()
    {
        var options = new DhtOptions { K = 2, ReplacementCacheSize = 2, MaxContactsPerGroupPerBucket = 2, MaxContactsPerGroupInTable = 1 };
        var table = new RoutingTable(TinyIds.Of(0), options, T0);
        var g = NetworkGroup.FromAddress(IPAddress.Parse("198.51.100.1"));
        table.Observe(TinyIds.Of(0x80), default, T0);
        table.Observe(TinyIds.Of(0x90), default, T0);
        table.Observe(TinyIds.Of(0x40), g, T0);  // bucket 1 holds the group's only table slot
        table.Observe(TinyIds.Of(0xA0), g, T0);  // bucket 0 full: cached
        Assert.True(table.Remove(TinyIds.Of(0x90))); // promotion blocked by the table-wide group limit
        Assert.Equal(1, table.BucketSize(0));
        Assert.Equal(1, table.ReplacementCount(0));

        Assert.True(table.Remove(TinyIds.Of(0x40)));
        Assert.Equal(ObserveOutcome.Added, table.Observe(TinyIds.Of(0xA0), g, T0).Outcome);
        Assert.Equal(0, table.ReplacementCount(0));
        Assert.Equal(2, table.BucketSize(0));
    }

    [Fact]
    public void PromoteReplacement_SkipsCacheEntriesOverGroupLimit()
    {
        var options = new DhtOptions { K = 2, ReplacementCacheSize = 4, MaxContactsPerGroupPerBucket = 1, MaxContactsPerGroupInTable = 10 };
        var table = new RoutingTable(TinyIds.Of(0), options, T0);
        var g1 = NetworkGroup.FromAddress(IPAddress.Parse("198.51.100.1"));
        var g2 = NetworkGroup.FromAddress(IPAddress.Parse("192.0.2.1"));
        var g3 = NetworkGroup.FromAddress(IPAddress.Parse("192.0.3.1"));
        table.Observe(TinyIds.Of(0x80), g1, T0);
        table.Observe(TinyIds.Of(0x90), g2, T0);
        table.Observe(TinyIds.Of(0xA0), g3, T0);
        table.Observe(TinyIds.Of(0xB0), g2, T0); // newest, but its group is already in the bucket
        table.OnPingResult(TinyIds.Of(0x80), false, T0);
        Assert.NotNull(table.Find(TinyIds.Of(0xA0)));
        Assert.Null(table.Find(TinyIds.Of(0xB0)));
    }

    [Theory]
    [InlineData("198.51.2.3", "198.51.2.200", true)]
    [InlineData("198.51.2.3", "198.51.3.3", false)]
    [InlineData("::ffff:198.51.2.3", "198.51.2.9", true)]
    [InlineData("2001:db8:aa:1::1", "2001:db8:aa:ffff::2", true)]
    [InlineData("2001:db8:aa::1", "2001:db8:ab::1", false)]
    public void NetworkGroup_FromAddress_GroupsBySlash24AndSlash48(string a, string b, bool same)
    {
        var ga = NetworkGroup.FromAddress(IPAddress.Parse(a));
        var gb = NetworkGroup.FromAddress(IPAddress.Parse(b));
        Assert.False(ga.IsUnknown);
        Assert.Equal(same, ga == gb);
    }

    [Fact]
    public void NetworkGroup_Ipv4AndIpv6WithSameLeadingBytes_Differ()
    {
        var v4 = NetworkGroup.FromAddress(IPAddress.Parse("32.1.13.1"));
        var v6 = NetworkGroup.FromAddress(IPAddress.Parse("2001:0d00::1"));
        Assert.NotEqual(v4, v6);
    }
}
