using System.Diagnostics.Metrics;
using Overlay.Crypto;
using Overlay.Placement.Selection;
using Overlay.Placement.Trust;

namespace Overlay.Placement.Tests;

public sealed class ShardPlacerTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly PeerId Nobody = TestPeers.Id(999_999);
    private readonly Meter _meter = new("test.placement.placer");

    private readonly List<ShardPlacer> _placers = [];

    public void Dispose()
    {
        _placers.ForEach(p => p.Dispose());
        _meter.Dispose();
    }

    private ShardPlacer Placer(PlacementOptions? options = null, int seed = 1)
    {
        var placer = new ShardPlacer(options ?? new PlacementOptions(), new Random(seed), new PlacementMetrics(_meter));
        _placers.Add(placer);
        return placer;
    }

    private static TrustSnapshot Trust(params (int Peer, double Value)[] values) =>
        TrustSnapshot.FromValues(values.Select(v => new KeyValuePair<PeerId, double>(TestPeers.Id(v.Peer), v.Value)), Now);

    public sealed record Scenario(
        string Name,
        PlacementCandidate[] Candidates,
        int Replicas,
        int[] Expected,
        PlacementOutcome Outcome,
        TrustSnapshot? Trust = null,
        int Requester = -1,
        int[]? Holders = null,
        long RequiredBytes = 0,
        double NewcomerShare = 0.05)
    {
        public override string ToString() => Name;
    }

    public static TheoryData<Scenario> Scenarios => new()
    {
        new Scenario("zero weight never chosen",
            [Candidates.Of(0, 1), Candidates.Of(1, 2, success: 0), Candidates.Of(2, 3), Candidates.Of(3, 4, uptime: 0), Candidates.Of(4, 5, free: 0), Candidates.Of(5, 6)],
            3, [0, 2, 5], new(3, 0, 0, 0, 0)),
        new Scenario("requester never chosen",
            Candidates.Diverse(4), 3, [1, 2, 3], new(3, 0, 0, 0, 0), Requester: 0),
        new Scenario("fewer eligible than replicas",
            [Candidates.Of(0, 1), Candidates.Of(1, 2), Candidates.Of(2, 3, success: 0)], 3, [0, 1], new(2, 0, 0, 0, 1)),
        new Scenario("short of space",
            [Candidates.Of(0, 1, free: 100), Candidates.Of(1, 2, free: 5000), Candidates.Of(2, 3, free: 4096)], 2, [1, 2], new(2, 0, 0, 0, 0), RequiredBytes: 4096),
        new Scenario("one per public subnet",
            [Candidates.Of(0, 7), Candidates.Of(1, 7), Candidates.Of(2, 7), Candidates.Of(3, 8)], 2, [-7, 3], new(2, 0, 0, 0, 0)),
        new Scenario("one subnet only: most diverse set, shortfall reported",
            [Candidates.Of(0, 7), Candidates.Of(1, 7), Candidates.Of(2, 7)], 3, [0, 1, 2], new(3, 2, 2, 0, 0)),
        new Scenario("one host: loopback has no subnet cap, the cluster cap is relaxed",
            [Candidates.Of(0, x: 0, y: 0), Candidates.Of(1, x: 0, y: 0), Candidates.Of(2, x: 0, y: 0), Candidates.Of(3, x: 0, y: 0)], 3, [-1, -1, -1], new(3, 1, 0, 1, 0)),
        new Scenario("LAN before any coordinate: nothing to cap",
            [Candidates.Of(0), Candidates.Of(1), Candidates.Of(2), Candidates.Of(3)], 4, [0, 1, 2, 3], new(4, 0, 0, 0, 0)),
        new Scenario("at most half per region",
            [Candidates.Of(0, 1, region: 5), Candidates.Of(1, 2, region: 5), Candidates.Of(2, 3, region: 5), Candidates.Of(3, 4, region: 5), Candidates.Of(4, 5, region: 6), Candidates.Of(5, 6, region: 6)],
            4, [-5, -5, 4, 5], new(4, 0, 0, 0, 0)),
        new Scenario("at most half per coordinate cluster",
            [Candidates.Of(0, 1, x: 0, y: 0), Candidates.Of(1, 2, x: 10, y: 0), Candidates.Of(2, 3, x: 0, y: 10), Candidates.Of(3, 4, x: 10, y: 10), Candidates.Of(4, 5, x: 300, y: 0), Candidates.Of(5, 6, x: 0, y: 300)],
            4, [-1, -1, 4, 5], new(4, 0, 0, 0, 0)),
        new Scenario("holders count towards r and the caps",
            [Candidates.Of(0, 7), Candidates.Of(1, 7), Candidates.Of(2, 8), Candidates.Of(3, 9)], 3, [2, 3], new(2, 0, 0, 0, 0), Holders: [0]),
        new Scenario("without newcomer share only trusted peers are chosen",
            Candidates.Diverse(6), 3, [0, 1, 2], new(3, 0, 0, 0, 0), Trust: Trust((0, 0.2), (1, 0.3), (2, 0.5), (3, 0), (4, 0)), NewcomerShare: 0),
        new Scenario("untrusted peers fill in when trusted ones run out",
            Candidates.Diverse(4), 3, [0, 1, 2], new(3, 0, 0, 0, 0), Trust: Trust((0, 0.5), (1, 0.5)), NewcomerShare: 0.05, Requester: 3),
    };

    /// <summary>
    /// Expected entries ≥ 0 name candidates that must be chosen; −k stands for "any one candidate of group k"
    /// (or of region k, or −1: any), so the table does not depend on the hash.
    /// </summary>
    [Theory]
    [MemberData(nameof(Scenarios))]
    public void Select_Table_PlacesAsExpected(Scenario s)
    {
        var options = new PlacementOptions { NewcomerShare = s.NewcomerShare };
        var placer = Placer(options);
        var requester = s.Requester >= 0 ? s.Candidates[s.Requester].Peer : Nobody;
        var holders = (s.Holders ?? []).Select(h => s.Candidates[h].Peer).ToArray();
        var result = placer.Select(Candidates.ObjectId(42), s.Replicas, s.Candidates, s.Trust ?? TrustSnapshot.Empty, requester, s.RequiredBytes, holders);

        Assert.Equal(s.Outcome, result.Outcome);
        Assert.Equal(s.Expected.Length, result.Peers.Count);
        var chosen = result.Peers.Select(p => Array.FindIndex(s.Candidates, c => c.Peer == p)).ToList();
        foreach (var expected in s.Expected.Where(e => e >= 0))
        {
            Assert.Contains(expected, chosen);
        }

        foreach (var group in s.Expected.Where(e => e < -1).Select(e => (ulong)-e).Distinct())
        {
            var wanted = s.Expected.Count(e => e == -(long)group);
            Assert.Equal(wanted, chosen.Count(i => s.Expected.Contains(i) is false && (s.Candidates[i].NetworkGroup == group || s.Candidates[i].Region == group)));
        }

        Assert.Equal(chosen.Count, chosen.Distinct().Count());
    }

    [Fact]
    public void Select_SeededRandomSets_CapsNeverBrokenNoPeerTwiceAndROrEveryEligiblePlaced()
    {
        var random = new Random(2026);
        var options = new PlacementOptions();
        var placer = Placer(options);
        var relaxedSeen = 0;
        var missingSeen = 0;
        for (var run = 0; run < 600; run++)
        {
            var n = random.Next(1, 60);
            var groups = random.Next(1, 12);
            var regions = random.Next(0, 4);
            var candidates = new List<PlacementCandidate>();
            for (var i = 0; i < n; i++)
            {
                var coordinates = random.NextDouble() < 0.7;
                candidates.Add(Candidates.Of(
                    (run * 100) + i,
                    group: random.NextDouble() < 0.3 ? 0 : (ulong)random.Next(1, groups + 1),
                    region: regions == 0 || random.NextDouble() < 0.5 ? 0 : (ulong)random.Next(1, regions + 1),
                    x: coordinates ? random.NextDouble() * 80 : double.NaN,
                    y: coordinates ? random.NextDouble() * 80 : double.NaN,
                    rtt: random.NextDouble() * 300,
                    success: random.NextDouble() < 0.1 ? 0 : random.NextDouble(),
                    uptime: random.NextDouble(),
                    free: random.NextDouble() < 0.1 ? 0 : random.Next(1, 1 << 20)));
            }

            if (n > 2 && random.NextDouble() < 0.2)
            {
                candidates.Add(candidates[random.Next(n)]); // the same peer twice in the input
            }

            var set = WeightedCandidates.Prepare([.. candidates], TrustSnapshot.Empty, options);
            var replicas = random.Next(1, 9);
            var requester = random.NextDouble() < 0.5 ? candidates[random.Next(candidates.Count)].Peer : Nobody;
            var required = random.NextDouble() < 0.3 ? random.Next(0, 1 << 19) : 0L;
            var holderIndexes = random.NextDouble() < 0.3 ? Enumerable.Range(0, random.Next(1, 3)).Select(_ => random.Next(candidates.Count)).Distinct().Where(h => candidates[h].Peer != requester).ToArray() : [];
            var holders = holderIndexes.Select(h => candidates[h].Peer).Distinct().Take(replicas).ToArray();
            var chosen = new int[replicas];
            var outcome = placer.Select(Candidates.ObjectId(run), replicas, set, requester, chosen, required, holders);

            var picked = chosen[..outcome.Placed];
            var peers = picked.Select(i => candidates[i].Peer).ToList();
            Assert.Equal(peers.Count, peers.Distinct().Count());
            Assert.DoesNotContain(requester, peers);
            Assert.Empty(peers.Intersect(holders));
            Assert.All(picked, i => Assert.True(set.WeightOf(i) > 0 && candidates[i].FreeBytes >= required));

            // Caps: each pick within the caps kept them when it was added to the holders and earlier picks.
            var members = holders.Select(h => candidates.First(c => c.Peer == h)).ToList();
            var withinCaps = outcome.Placed - outcome.Relaxed;
            for (var k = 0; k < withinCaps; k++)
            {
                Assert.True(Candidates.KeepsCaps(members, candidates[picked[k]], replicas, options.ClusterRadiusMs), $"run {run}: pick {k} breaks a cap");
                members.Add(candidates[picked[k]]);
            }

            // r honoured: every asked replica is placed unless no eligible peer is left.
            var wanted = replicas - holders.Length;
            var available = candidates
                .Where(c => c.Peer != requester && !holders.Contains(c.Peer) && c.FreeBytes >= required && c.FreeBytes > 0 && c.SuccessRate > 0 && c.Uptime > 0)
                .Select(c => c.Peer).Distinct().Count();
            Assert.Equal(Math.Min(wanted, available), outcome.Placed);
            Assert.Equal(wanted - outcome.Placed, outcome.Missing);

            // A cap is relaxed only when no candidate that keeps the caps was left.
            if (outcome.Relaxed > 0 || outcome.Missing > 0)
            {
                var used = new HashSet<PeerId>(peers.Concat(holders)) { requester };
                foreach (var c in candidates.Where(c => !used.Contains(c.Peer) && c.FreeBytes >= required && c.FreeBytes > 0 && c.SuccessRate > 0 && c.Uptime > 0))
                {
                    Assert.False(Candidates.KeepsCaps(members, c, replicas, options.ClusterRadiusMs), $"run {run}: {c.Peer.ToShortString()} was left though it kept the caps");
                }
            }

            relaxedSeen += outcome.Relaxed;
            missingSeen += outcome.Missing;
        }

        // The sets were drawn so that both regimes occur.
        Assert.True(relaxedSeen > 50);
        Assert.True(missingSeen > 50);
    }

    [Fact]
    public void Select_100000FirstPicks_FollowTheWeights_ChiSquare()
    {
        // 40 candidates whose weights differ through success rate and RTT, together spanning a factor of about 170, so
        // that a sampler drawing in proportion to w^0.9 instead of w fails too; r = 1, so each pick is one draw.
        var candidates = new PlacementCandidate[40];
        for (var i = 0; i < candidates.Length; i++)
        {
            candidates[i] = Candidates.Of(i, group: (ulong)(i + 1), rtt: 283 - (7 * i), success: 0.02 + (0.024 * i));
        }

        var options = new PlacementOptions();
        var set = WeightedCandidates.Prepare(candidates, TrustSnapshot.Empty, options);
        var counts = Draw(Placer(options, seed: 77), set, picks: 100_000, replicas: 1);
        var chiSquare = ChiSquare(set, counts, 100_000);
        // 39 degrees of freedom: the 0.001 critical value is 72.05.
        Assert.True(chiSquare < 72.05, $"chi-square {chiSquare:F1}");
    }

    [Fact]
    public void Select_100000FirstPicksWithTrust_FollowTheWeightsAndNewcomersGetTheirShare()
    {
        var candidates = Candidates.Diverse(40);
        var trust = Trust([.. Enumerable.Range(0, 30).Select(i => (i, 0.001 + (i * 0.002)))]); // 30 trusted, 10 newcomers
        var options = new PlacementOptions { NewcomerShare = 0.05 };
        var set = WeightedCandidates.Prepare(candidates, trust, options);
        var counts = Draw(Placer(options, seed: 78), set, picks: 100_000, replicas: 1);
        Assert.True(ChiSquare(set, counts, 100_000) < 72.05);

        var newcomers = counts[30..].Sum() / 100_000.0;
        // Binomial(100000, 0.05): four standard deviations are 0.0028.
        Assert.InRange(newcomers, 0.05 - 0.0028, 0.05 + 0.0028);
    }

    [Theory]
    [InlineData(1000, false)]
    [InlineData(3, true)]
    public void Select_OneHolderFarAboveTheCrowdsTrust_KeepsItsFairShareOnlyUnderTheShareCap(double cap, bool capped)
    {
        // One candidate holds twelve times the crowd's trust (capped at κ = 2, so τ^α = 4) and the other 19 less than
        // the mean, as a pre-trusted honest peer and the crowd do on the simulated networks. An owner places 300
        // objects of 3 replicas one after the other, each candidate's holdings fed back as it would count them.
        var candidates = Candidates.Diverse(20);
        var trust = Trust([(0, 0.3), .. Enumerable.Range(1, 19).Select(i => (i, 0.01 + (i * 0.0001)))]);
        var options = new PlacementOptions { HolderShareCap = cap };
        var placer = Placer(options, seed: 81);
        var held = new int[candidates.Length];
        var chosen = new int[3];
        Span<byte> id = stackalloc byte[8];
        for (var o = 0; o < 300; o++)
        {
            var current = candidates.Select((c, i) => c with { Held = held[i] }).ToArray();
            var set = WeightedCandidates.Prepare(current, trust, options);
            System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(id, o);
            var outcome = placer.Select(id, 3, set, TestPeers.Id(99), chosen);
            Assert.Equal(3, outcome.Placed);
            foreach (var i in chosen)
            {
                held[i]++;
            }
        }

        var fair = 900.0 / candidates.Length;
        var busiest = held[0] / fair;
        if (capped)
        {
            // Once at 3 × fair it weighs as a newcomer, drawn now and then among the crowd's 5 %.
            Assert.InRange(busiest, 2.5, 3.3);
        }
        else
        {
            Assert.True(busiest > 5, $"the trusted holder keeps {busiest:F2} × its fair share");
        }
    }

    [Fact]
    public void Prepare_ShareCap_TakesAwayTheTrustOfAHolderAtTheCapOnly()
    {
        // Holdings 0, 3 and 9 of 12 over 4 candidates: fair share 3, the cap at L = 2 is 6, so only the third is over it.
        var candidates = Candidates.Diverse(4).Select((c, i) => c with { Held = new[] { 0, 3, 9, 0 }[i] }).ToArray();
        var trust = Trust((0, 0.25), (1, 0.25), (2, 0.25), (3, 0.25));
        var set = WeightedCandidates.Prepare(candidates, trust, new PlacementOptions { HolderShareCap = 2, NewcomerShare = 0.05 });
        var total = Enumerable.Range(0, 4).Sum(set.WeightOf);
        Assert.Equal(set.WeightOf(0), set.WeightOf(1), 12);
        Assert.Equal(0.05, set.WeightOf(2) / total, 12);
        var uncapped = WeightedCandidates.Prepare(candidates, trust, new PlacementOptions { HolderShareCap = 1000 });
        Assert.Equal(uncapped.WeightOf(0), uncapped.WeightOf(2), 12);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Prepare_CandidateTheOwnerCaught_IsALastResort_WhateverItsGlobalTrust(bool caught)
    {
        // Candidate 0 holds most of the global trust (others vouch for it) but the owner caught it losing shards.
        var candidates = Candidates.Diverse(5).Select((c, i) => c with { Caught = caught && i == 0 }).ToArray();
        var trust = Trust((0, 0.6), (1, 0.1), (2, 0.1), (3, 0.1), (4, 0.1));
        var set = WeightedCandidates.Prepare(candidates, trust, new PlacementOptions { NewcomerShare = 0.05 });
        var share = set.WeightOf(0) / Enumerable.Range(0, 5).Sum(set.WeightOf);
        if (caught)
        {
            // Not the newcomers' 5 %: a billionth of the lightest other's weight, and still eligible.
            Assert.Equal(5, set.EligibleCount);
            Assert.InRange(share, 1e-300, 1e-11);
        }
        else
        {
            // Its τ capped at κ = 2 (τ^α = 4) against the others' 0.5 (τ^α = 0.25): 80 % of the weight.
            Assert.True(share > 0.5, $"share {share:P1}");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Select_CandidatesTheOwnerCaught_AreNotDrawnWhileOthersAreLeft_WhateverOthersVouch(bool caught)
    {
        // Spies vouch for 0–3: they hold most of the trust. 4–5 are newcomers without trust, 6–11 the trusted crowd.
        var candidates = Candidates.Diverse(12).Select((c, i) => c with { Caught = caught && i < 4 }).ToArray();
        var trust = Trust((0, 0.15), (1, 0.15), (2, 0.15), (3, 0.15), (6, 0.07), (7, 0.07), (8, 0.07), (9, 0.06), (10, 0.06), (11, 0.07));
        var set = WeightedCandidates.Prepare(candidates, trust, new PlacementOptions());
        const int Objects = 4000;
        var counts = Draw(Placer(seed: 83), set, Objects, replicas: 3);
        var onVouched = counts.Take(4).Sum();
        var onNewcomers = counts[4] + counts[5];
        if (caught)
        {
            Assert.Equal(0, onVouched);
            // The newcomer share (5 % of the weight) goes to the peers without evidence, not to the caught ones.
            Assert.InRange(onNewcomers / (3.0 * Objects), 0.03, 0.1);
        }
        else
        {
            Assert.True(onVouched > Objects, $"the vouched-for peers took {onVouched} of {3 * Objects} replicas");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Prepare_TrustThatRestsOnNoRow_IsNotWeighed_OnceARowExistsItIs(bool anyRow)
    {
        // A node that has just started: its own row is empty and it holds no one's record, so global trust is p itself,
        // 0.9 on the node and 0.1 on its one bootstrap peer (candidate 0). Nine more candidates, alike in all else.
        var self = TestPeers.Id(100);
        var row = anyRow
            ? LocalTrustVector.FromScores(self, Enumerable.Range(0, 10).Select(i => new KeyValuePair<PeerId, double>(TestPeers.Id(i), 1)), 256)
            : LocalTrustVector.Empty;
        var matrix = new TrustMatrixBuilder().AddRow(self, row).AddPreTrusted(self, 0.9).AddPreTrusted(TestPeers.Id(0), 0.1).Build();
        var trust = EigenTrust.Compute(matrix, new PlacementOptions(), Now);
        var set = WeightedCandidates.Prepare(Candidates.Diverse(10), trust, new PlacementOptions());
        var share = set.WeightOf(0) / Enumerable.Range(0, 10).Sum(set.WeightOf);

        Assert.Equal(anyRow, trust.RestsOnEvidence);
        Assert.Equal(anyRow, set.TrustApplied);
        if (anyRow)
        {
            // The node's row names all ten alike; the bootstrap peer's share of p lifts it to the trust cap (κ^α = 4 against ≈ 1).
            Assert.InRange(share, 0.25, 0.35);
        }
        else
        {
            // Weighed without trust, as all ten are alike: a tenth. Weighed by p alone, it was the one trusted candidate and
            // drew 95 % of the weight: a replica of nearly every first shard, all lost with it if it deletes them.
            Assert.Equal(0.1, share, 12);
        }
    }

    [Fact]
    public void Select_MoreReplicasThanCandidatesNotCaught_TakesTheCaughtOnesLast()
    {
        // Six replicas wanted, four candidates not caught: placement never refuses for want of a candidate it caught.
        var candidates = Candidates.Diverse(6).Select((c, i) => c with { Caught = i >= 4 }).ToArray();
        var trust = Trust((0, 0.1), (1, 0.1), (2, 0.1), (3, 0.1), (4, 0.3), (5, 0.3));
        var set = WeightedCandidates.Prepare(candidates, trust, new PlacementOptions());
        var placer = Placer(seed: 85);
        var chosen = new int[6];
        for (var o = 0; o < 200; o++)
        {
            var outcome = placer.Select(Candidates.ObjectId(o), 6, set, Nobody, chosen);
            Assert.Equal(6, outcome.Placed);
            Assert.Equal(0, outcome.Missing);
            Assert.All(chosen[..4], i => Assert.InRange(i, 0, 3));
            Assert.All(chosen[4..], i => Assert.InRange(i, 4, 5));
        }
    }

    [Fact]
    public void Select_TwoReplicas_InclusionMatchesSamplingWithoutReplacement()
    {
        var candidates = new PlacementCandidate[12];
        for (var i = 0; i < candidates.Length; i++)
        {
            candidates[i] = Candidates.Of(i, group: (ulong)(i + 1), success: 0.1 + (0.075 * i));
        }

        var options = new PlacementOptions();
        var set = WeightedCandidates.Prepare(candidates, TrustSnapshot.Empty, options);
        const int Picks = 100_000;
        var counts = Draw(Placer(options, seed: 79), set, Picks, replicas: 2);
        var total = Enumerable.Range(0, 12).Sum(set.WeightOf);
        for (var i = 0; i < 12; i++)
        {
            var p = set.WeightOf(i) / total;
            var inclusion = p + Enumerable.Range(0, 12).Where(j => j != i).Sum(j => set.WeightOf(j) / total * p / (1 - (set.WeightOf(j) / total)));
            var sigma = Math.Sqrt(Picks * inclusion * (1 - inclusion));
            Assert.True(Math.Abs(counts[i] - (Picks * inclusion)) < 4.5 * sigma, $"candidate {i}: {counts[i]} vs {Picks * inclusion:F0}");
        }
    }

    [Fact]
    public void Select_ManyIdentitiesInOneSubnet_WeighAsOneCandidate()
    {
        // Ten identities in one /24 against one honest peer elsewhere: the subnet as a whole gets half the first picks.
        var candidates = Enumerable.Range(0, 10).Select(i => Candidates.Of(i, group: 7)).Append(Candidates.Of(10, group: 8)).ToArray();
        var options = new PlacementOptions();
        var set = WeightedCandidates.Prepare(candidates, TrustSnapshot.Empty, options);
        var counts = Draw(Placer(options, seed: 80), set, 20_000, replicas: 1);
        Assert.InRange(counts[10] / 20_000.0, 0.47, 0.53);

        // The same identities each in a subnet of their own (the diversity factor has nothing to divide):
        // the ten take ten elevenths, and the honest peer one eleventh.
        var spread = candidates.Select((c, i) => c with { NetworkGroup = (ulong)(100 + i) }).ToArray();
        var open = Draw(Placer(options, seed: 80), WeightedCandidates.Prepare(spread, TrustSnapshot.Empty, options), 20_000, replicas: 1);
        Assert.InRange(open[10] / 20_000.0, 0.08, 0.105);
    }

    [Fact]
    public void Select_WeightsMoveByHalfAPercent_FewPlacementsChange()
    {
        var random = new Random(4);
        var options = new PlacementOptions();
        var candidates = new PlacementCandidate[80];
        for (var i = 0; i < candidates.Length; i++)
        {
            candidates[i] = Candidates.Of(i, group: (ulong)(i + 1), success: 0.3 + (0.7 * random.NextDouble()));
        }

        var moved = candidates.Select(c => c with { SuccessRate = c.SuccessRate * (1 + (0.01 * (random.NextDouble() - 0.5))) }).ToArray();
        var placer = Placer(options, seed: 81);
        var before = WeightedCandidates.Prepare(candidates, TrustSnapshot.Empty, options);
        var after = WeightedCandidates.Prepare(moved, TrustSnapshot.Empty, options);
        var changed = 0;
        const int Objects = 5000;
        var a = new int[3];
        var b = new int[3];
        for (var o = 0; o < Objects; o++)
        {
            placer.Select(Candidates.ObjectId(o), 3, before, Nobody, a);
            placer.Select(Candidates.ObjectId(o), 3, after, Nobody, b);
            changed += a.Order().SequenceEqual(b.Order()) ? 0 : 1;
        }

        Assert.True(changed < Objects * 0.02, $"{changed} of {Objects} objects moved");

        // The same object placed again with unchanged weights lands on the same peers.
        placer.Select(Candidates.ObjectId(7), 3, before, Nobody, a);
        placer.Select(Candidates.ObjectId(7), 3, before, Nobody, b);
        Assert.Equal(a, b);
    }

    [Fact]
    public void Select_AnotherSalt_PlacesObjectsElsewhere()
    {
        var options = new PlacementOptions();
        var set = WeightedCandidates.Prepare(Candidates.Diverse(100), TrustSnapshot.Empty, options);
        var a = new int[3];
        var b = new int[3];
        var same = 0;
        for (var o = 0; o < 200; o++)
        {
            Placer(options, seed: 1).Select(Candidates.ObjectId(o), 3, set, Nobody, a);
            Placer(options, seed: 2).Select(Candidates.ObjectId(o), 3, set, Nobody, b);
            same += a.Order().SequenceEqual(b.Order()) ? 1 : 0;
        }

        Assert.True(same < 5, $"{same} of 200 objects placed alike under two salts");
    }

    [Fact]
    public void Select_EightOfTenThousand_AllocatesNothingAfterWarmUp()
    {
        var options = new PlacementOptions();
        var candidates = new PlacementCandidate[10_000];
        var random = new Random(6);
        for (var i = 0; i < candidates.Length; i++)
        {
            candidates[i] = new PlacementCandidate(PeerId.Random(random), (ulong)random.Next(1, 5000), 0, random.NextDouble() * 300, random.NextDouble() * 300, random.NextDouble() * 200, random.NextDouble(), random.NextDouble(), Candidates.GiB);
        }

        var set = WeightedCandidates.Prepare(candidates, TrustSnapshot.Empty, options);
        var placer = Placer(options);
        var chosen = new int[8];
        var id = new byte[32];
        placer.Select(id, 8, set, Nobody, chosen);
        var placed = 0;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var o = 0; o < 200; o++)
        {
            id[0] = (byte)o;
            id[1] = (byte)(o >> 8);
            placed += placer.Select(id, 8, set, Nobody, chosen).Placed;
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.Equal(200 * 8, placed);
    }

    [Fact]
    public void Select_Shortfall_IsCountedByKind()
    {
        var metrics = new PlacementMetrics(_meter);
        using var placer = new ShardPlacer(new PlacementOptions(), new Random(3), metrics);
        var oneSubnet = new[] { Candidates.Of(0, 7), Candidates.Of(1, 7) };
        placer.Select(Candidates.ObjectId(1), 3, oneSubnet, TrustSnapshot.Empty, Nobody);
        Assert.Equal(1, metrics.Shortfalls(ShortfallKind.SubnetCap));
        Assert.Equal(1, metrics.Shortfalls(ShortfallKind.Missing));
        Assert.Equal(0, metrics.Shortfalls(ShortfallKind.ClusterCap));
    }

    [Fact]
    public void Prepare_TrustOff_WeighsByPerformanceCapacityAndDiversityAlone()
    {
        var options = new PlacementOptions { PerformanceExponent = 1, CapacityExponent = 1 };
        var candidates = new[]
        {
            Candidates.Of(0, 1, rtt: 100, success: 1, uptime: 1, free: Candidates.GiB),
            Candidates.Of(1, 2, rtt: 300, success: 0.5, uptime: 1, free: 3 * Candidates.GiB),
            Candidates.Of(2, 2, rtt: double.NaN, success: double.NaN, uptime: double.NaN, free: Candidates.GiB),
        };
        var set = WeightedCandidates.Prepare(candidates, TrustSnapshot.Empty, options);
        // p·c·d: 1·0.5 · 0.5 · 1, 0.5·0.25 · 0.75 · 1/2, 0.5·0.5·0.5 · 0.5 · 1/2 (unknown values count as 0.5).
        var w = new[] { 0.25, 0.5 * 0.25 * 0.75 / 2, 0.125 * 0.5 / 2 };
        Assert.Equal(w[1] / w[0], set.WeightOf(1) / set.WeightOf(0), 9);
        Assert.Equal(w[2] / w[0], set.WeightOf(2) / set.WeightOf(0), 9);
        Assert.False(set.TrustApplied);
    }

    [Fact]
    public void Prepare_TrustFarAboveTheCrowd_WeighsAtMostTheCapToTheAlpha()
    {
        // Peer 0 holds half of all trust (as pre-trusted peers do), the nine others share the rest; the
        // reference is the mean, 0.1. Peer 0's τ is capped at κ = 2, the others' is 0.0556 / 0.1.
        var options = new PlacementOptions { TrustExponent = 2, TrustCap = 2 };
        var trust = Trust([(0, 0.5), .. Enumerable.Range(1, 9).Select(i => (i, 0.5 / 9))]);
        var set = WeightedCandidates.Prepare(Candidates.Diverse(10), trust, options);
        Assert.Equal(Math.Pow(2 / (0.5 / 9 / 0.1), 2), set.WeightOf(0) / set.WeightOf(1), 9);

        // Without the cap the weight would follow trust: 9² times as much.
        var uncapped = WeightedCandidates.Prepare(Candidates.Diverse(10), trust, new PlacementOptions { TrustExponent = 2, TrustCap = 1000 });
        Assert.Equal(81, uncapped.WeightOf(0) / uncapped.WeightOf(1), 9);
    }

    [Fact]
    public void Prepare_ExponentsOtherThanOne_RaiseEachFactorToItsOwn()
    {
        // w = τ^α · p^β · c^γ · d with α, β, γ = 3, 2, 0.25: each exponent is applied to its own factor only. The trust
        // values stay below the cap (mean 0.1, κ = 2), so τ0 / τ1 is t0 / t1 and the reference cancels out.
        var options = new PlacementOptions { TrustExponent = 3, PerformanceExponent = 2, CapacityExponent = 0.25 };
        var candidates = new[]
        {
            Candidates.Of(0, 1, rtt: 50, success: 1, uptime: 1, free: Candidates.GiB),
            Candidates.Of(1, 2, rtt: 150, success: 0.5, uptime: 0.8, free: 3 * Candidates.GiB),
            Candidates.Of(2, 3, rtt: 50, success: 1, uptime: 1, free: Candidates.GiB),
            Candidates.Of(3, 3, rtt: 50, success: 1, uptime: 1, free: Candidates.GiB),
        };
        var trust = Trust([(0, 0.12), (1, 0.08), (2, 0.1), (3, 0.1), .. Enumerable.Range(4, 6).Select(i => (i, 0.1))]);
        var set = WeightedCandidates.Prepare(candidates, trust, options);

        // τ, p = success · uptime · 100 / (100 + rtt), c = free / (free + 1 GiB), d = 1 / (candidates in the subnet).
        static double Weight(double t, double p, double c, double d) => Math.Pow(t / 0.1, 3) * Math.Pow(p, 2) * Math.Pow(c, 0.25) * d;
        var w0 = Weight(0.12, 100.0 / 150, 0.5, 1);
        var w1 = Weight(0.08, 0.5 * 0.8 * 100 / 250, 0.75, 1);
        var w2 = Weight(0.1, 100.0 / 150, 0.5, 0.5);
        Assert.True(set.TrustApplied);
        Assert.Equal(w1 / w0, set.WeightOf(1) / set.WeightOf(0), 9);
        Assert.Equal(w2 / w0, set.WeightOf(2) / set.WeightOf(0), 9);
        Assert.Equal(1, set.WeightOf(3) / set.WeightOf(2), 9);
    }

    [Fact]
    public void Select_AfterDispose_ThrowsObjectDisposed()
    {
        var placer = Placer();
        var set = WeightedCandidates.Prepare(Candidates.Diverse(4), TrustSnapshot.Empty, new PlacementOptions());
        placer.Select(Candidates.ObjectId(1), 2, set, Nobody, new int[2]);
        placer.Dispose();
        Assert.Throws<ObjectDisposedException>(() => placer.Select(Candidates.ObjectId(2), 2, set, Nobody, new int[2]));
    }

    private static int[] Draw(ShardPlacer placer, WeightedCandidates set, int picks, int replicas)
    {
        var counts = new int[set.Count];
        var chosen = new int[replicas];
        for (var o = 0; o < picks; o++)
        {
            var outcome = placer.Select(Candidates.ObjectId(o), replicas, set, Nobody, chosen);
            for (var k = 0; k < outcome.Placed; k++)
            {
                counts[chosen[k]]++;
            }
        }

        return counts;
    }

    private static double ChiSquare(WeightedCandidates set, int[] counts, int picks)
    {
        var total = Enumerable.Range(0, set.Count).Sum(set.WeightOf);
        var chiSquare = 0.0;
        for (var i = 0; i < set.Count; i++)
        {
            var expected = picks * set.WeightOf(i) / total;
            chiSquare += (counts[i] - expected) * (counts[i] - expected) / expected;
        }

        return chiSquare;
    }
}
