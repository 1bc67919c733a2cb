using Overlay.Crypto;
using Overlay.Node.Shards;
using Overlay.Storage;

namespace Overlay.Node.Tests.Shards;

/// <summary>
/// The owner's watch list keeps its suspicions indexed by holder and by shard; whatever the order of puts, probes,
/// answers and repairs, the indexes say what a scan of every shard would.
/// </summary>
public sealed class WatchedShardsTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Indexes_AfterSeededRandomOperations_AgreeWithAScanOfEveryShard(int seed)
    {
        var random = new Random(seed);
        var peers = Enumerable.Range(0, 12).Select(_ => PeerId.Random(random)).ToArray();
        var ids = Enumerable.Range(0, 40).Select(i => ShardId.Compute(BitConverter.GetBytes((seed * 1000) + i))).ToArray();
        var watched = new WatchedShards();
        var now = Start;
        for (var step = 0; step < 2000; step++)
        {
            now += TimeSpan.FromSeconds(1);
            var id = ids[random.Next(ids.Length)];
            var peer = peers[random.Next(peers.Length)];
            switch (random.Next(6))
            {
                case 0:
                    watched.Refresh(Shard(id, [.. peers.OrderBy(_ => random.Next()).Take(random.Next(0, 4))]));
                    break;
                case 1:
                    watched.Suspect(id, peer, (SuspectReason)random.Next(5), now);
                    break;
                case 2:
                    watched.SuspectHolder(peer, random.Next(2) == 0 ? SuspectReason.NotAnswering : SuspectReason.Missing, now);
                    break;
                case 3:
                    watched.Answered(peer);
                    break;
                case 4:
                    foreach (var due in watched.TakeRepairsDue(now, TimeSpan.FromSeconds(5), _ => true))
                    {
                        watched.RepairEnded(due, now);
                    }

                    break;
                default:
                    watched.Replaced([peer], now);
                    break;
            }

            if (step % 50 == 0)
            {
                AssertIndexesAgree(watched, now);
            }
        }

        AssertIndexesAgree(watched, now);
    }

    [Fact]
    public void Avoided_NamesSuspectsAndTheRecentlyReplaced_AndForgetsAHolderOnceItIsNoSuspectAnyMore()
    {
        var random = new Random(7);
        var (a, b, c, d) = (PeerId.Random(random), PeerId.Random(random), PeerId.Random(random), PeerId.Random(random));
        var one = ShardId.Compute([1]);
        var two = ShardId.Compute([2]);
        var watched = new WatchedShards();
        watched.Refresh(Shard(one, [a, b, c]));
        watched.Refresh(Shard(two, [a, c]));
        watched.SuspectHolder(a, SuspectReason.NotAnswering, Start);
        watched.Suspect(one, b, SuspectReason.Missing, Start);
        watched.Replaced([d], Start);

        Assert.Equal(new HashSet<PeerId> { a, b, d }, watched.Avoided(Start, TimeSpan.FromMinutes(1)).ToHashSet());

        // a answers again; b leaves shard one's book (a repair replaced it); d's replacement is over a minute old.
        watched.Answered(a);
        watched.Refresh(Shard(one, [a, c]));
        Assert.Empty(watched.Avoided(Start + TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(1)));
        Assert.Empty(watched.TakeRepairsDue(Start + TimeSpan.FromMinutes(2), TimeSpan.Zero, _ => true));
    }

    private static void AssertIndexesAgree(WatchedShards watched, DateTimeOffset now)
    {
        // With no replacement remembered (a window of zero forgets them all), what is avoided is exactly the suspects.
        var scanned = watched.Ids().SelectMany(id => watched.SuspectsOf(id).Holders).ToHashSet();
        Assert.Equal(scanned, watched.Avoided(now, TimeSpan.Zero).ToHashSet());

        // Every shard with a suspect, not queued and not tried within the retry delay, is due; no other is.
        var withSuspects = watched.Ids().Where(id => watched.SuspectsOf(id).Holders.Count > 0).ToHashSet();
        var due = watched.TakeRepairsDue(now + TimeSpan.FromDays(1), TimeSpan.Zero, _ => true).ToHashSet();
        Assert.Equal(withSuspects, due);
        foreach (var id in due)
        {
            watched.RepairEnded(id, now);
        }
    }

    private static OwnedShard Shard(ShardId id, IReadOnlyList<PeerId> holders)
    {
        var shard = new OwnedShard(id, 1024);
        var port = 1;
        foreach (var peer in holders)
        {
            shard.Holders.Add(new ShardHolding { Peer = peer, Address = $"mem://10.0.0.{port}:{4000 + port}", Receipt = [] });
            port++;
        }

        return shard;
    }
}
