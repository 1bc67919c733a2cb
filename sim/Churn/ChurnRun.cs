using Overlay.Crypto;
using Overlay.Dht.Coordinates;
using Overlay.Node.Composition;
using Overlay.Node.Configuration;
using Overlay.Node.Shards;
using Overlay.Storage;
using Overlay.Transport;
using Overlay.Transport.InMemory;

namespace Overlay.Sim.Churn;

/// <summary>
/// Whole nodes keep shards while the network changes under them. Every shard (real random bytes) is placed
/// by an honest owner on r holders; then, for <see cref="ChurnSettings.Duration"/> of virtual time, nodes
/// leave when their Weibull session ends (a crash: connections drop, their memory is lost) and a new node
/// with a new identity joins in each one's place and places its own share of shards; and a fraction of the
/// nodes (droppers) delete every shard they acknowledged. At each sample the run counts the shards some
/// live node still keeps, fetches a random subset through the network from a live node that is not the
/// owner (holders found through provider records, bytes verified), and reads the repair traffic so far.
/// Each sample is also handed to <paramref name="sampled"/> as it is taken, so that a long run stopped early
/// still leaves the samples it took.
/// </summary>
internal sealed class ChurnRun(ChurnSettings settings, LatencyMatrix matrix, TextWriter? progress = null, Action<ChurnSample>? sampled = null)
{
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(10);

    public ChurnResult Run()
    {
        var s = settings;
        var clock = new VirtualTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var net = new InMemoryNetwork(clock, s.Seed, new MatrixLatencyModel(DhtNetworkRun.RttTable(matrix)), failOnForeignPosts: true);
        var exchange = new ShardExchangeOptions
        {
            Replicas = s.Replicas,
            RepairEnabled = s.Repair,
            ProbeInterval = s.ProbeInterval,
            AuditInterval = s.AuditInterval,
            Placement = s.Placement,
        };
        exchange.AuditChallengesAtStore = s.AuditChallengesAtStore ?? exchange.AuditChallengesAtStore;
        exchange.ProbationPeriod = s.ProbationPeriod ?? exchange.ProbationPeriod;
        var placement = new Overlay.Placement.PlacementOptions { TrustExchangeEnabled = s.TrustExchange };
        placement.PreTrustedPeerShareCap = s.PreTrustCap ?? placement.PreTrustedPeerShareCap;
        placement.RevokePreTrustOnOwnEvidence = s.RevokePreTrust;
        placement.HolderShareCap = s.HolderShareCap ?? placement.HolderShareCap;
        placement.MaxTrustRecords = s.MaxTrustRecords ?? placement.MaxTrustRecords;
        if (s.FlatEvidence)
        {
            (placement.RequestEvidenceWeight, placement.LostShardEvidenceWeight, placement.CheckPassedEvidenceWeight) = (1, 1, 1);
        }

        using var whole = new WholeNodeNetwork(net, s.Nodes, DhtNetworkRun.DefaultOptions(preferLowLatency: true), new TransportOptions(), s.Seed, exchange, placement);
        var keys = new Random(s.Seed);
        whole.StartFirstBuildRest([.. Enumerable.Range(0, s.Nodes).Select(_ => NodeIdentity.FromRandom(keys))], TimeSpan.FromDays(1));
        var bootstrap = whole.Nodes[0].Id;

        // One source for every choice the run makes between its steps (slots, members, shard bytes, fetches), so one seed gives one run.
        var random = new Random(s.Seed + 1);
        var repairs = new ChurnRepairs();
        var membership = new ChurnMembership(s, whole, net, random, repairs);
        var malicious = new MaliciousNodes(s, whole, membership, random);
        var shards = new ChurnShards(s, whole, membership, malicious, random);
        var replacement = new NodeReplacement(whole, membership, malicious, shards);
        var census = new ChurnCensus(s, whole, net, membership, malicious, shards, repairs, random);
        var result = new ChurnResult(s);
        net.Run(async () =>
        {
            for (var start = 1; start < s.Nodes; start += 32)
            {
                await whole.StartAndJoinAsync(start, Math.Min(s.Nodes, start + 32));
            }

            for (var i = 0; i < s.Nodes; i++)
            {
                membership.Joined(i);
            }

            progress?.WriteLine(FormattableString.Invariant($"formed {s.Nodes} whole nodes in {clock.Elapsed.TotalSeconds:F0} s virtual"));
            malicious.ChooseDroppers();
            malicious.PublishRows(clock.GetUtcNow());
            var perOwner = (s.Shards + s.Nodes - 1) / s.Nodes;
            var placements = new List<Task>();
            for (var placed = 0; placed < s.Shards; placed += 64)
            {
                var batch = new List<Task>();
                for (var k = placed; k < Math.Min(s.Shards, placed + 64); k++)
                {
                    batch.Add(shards.PlaceAsync(shards.RandomHonestSlot()));
                }

                await Task.WhenAll(batch);
            }

            // Let the new holders' announcements go out (10 a second per holder), as the repair run does.
            await Task.Delay(TimeSpan.FromMinutes(2), clock);
            progress?.WriteLine(FormattableString.Invariant($"placed {shards.Tracked.Count} shards by {clock.Elapsed.TotalSeconds:F0} s virtual"));
            var begin = clock.GetUtcNow();
            membership.Begin(begin);
            result.DropperHoldingsAtStart = census.DropperHoldings();
            var end = begin + s.Duration;
            var nextSample = begin;
            var nextDrop = begin;
            var nextRows = begin + s.RowEvery;
            while (true)
            {
                var now = clock.GetUtcNow();
                if (s.Churn)
                {
                    foreach (var slot in membership.SessionsEnded(now))
                    {
                        placements.Add(replacement.ReplaceAsync(slot, perOwner));
                    }
                }

                if (s.Droppers > 0 && now >= nextDrop)
                {
                    await malicious.DropAsync();
                    nextDrop = now + s.DropEvery;
                }

                if (s.Model is not null && now >= nextRows)
                {
                    malicious.PublishRows(now);
                    nextRows = now + s.RowEvery;
                }

                if (now >= nextSample)
                {
                    if (s.PlacementsPerSample > 0)
                    {
                        await shards.PlaceMeasuredAsync(s.PlacementsPerSample, counted: now - begin >= s.Duration / 2);
                    }

                    var sample = await census.SampleAsync(now - begin);
                    result.Samples.Add(sample);
                    progress?.WriteLine(sample.ToString());
                    sampled?.Invoke(sample);
                    nextSample = now + s.SampleEvery;
                }

                if (now >= end)
                {
                    break;
                }

                await Task.Delay(Tick, clock);
            }

            result.Trust = census.TrustOfDroppers();
            result.BootstrapRole = malicious.BootstrapRole;
            result.DropperHoldingsAtEnd = census.DropperHoldings();
            result.DeleterHoldingsAtEnd = census.DropperHoldings(spies: false);
            (result.HoldingsAtEnd, result.BusiestHolderAtEnd, result.BootstrapHoldingsAtEnd) = census.AllHoldings(bootstrap);
            result.Probation = census.Probation();
        }, TimeSpan.FromDays(1));

        result.Departures = membership.Departures;
        result.Repairs = repairs.Repairs;
        result.NewHolders = repairs.NewHolders;
        result.PlacedByJoiners = replacement.PlacedByJoiners;
        result.FailedPlacements = shards.FailedPlacements;
        result.Measured = shards.Measured;
        return result;
    }
}
