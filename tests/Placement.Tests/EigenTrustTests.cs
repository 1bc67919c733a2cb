using Overlay.Crypto;
using Overlay.Placement.Trust;

namespace Overlay.Placement.Tests;

public sealed class EigenTrustTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    private static LocalTrustVector Row(PeerId issuer, params (PeerId Peer, double Score)[] scores) =>
        LocalTrustVector.FromScores(issuer, scores.Select(s => new KeyValuePair<PeerId, double>(s.Peer, s.Score)), 4096);

    [Fact]
    public void Compute_ThreePeers_MatchesTheHandSolvedFixedPoint()
    {
        // A pre-trusted; A trusts B, B trusts C, C trusts A and B equally. With a = 0.2:
        // tA = 0.2 + 0.8·tC/2, tB = 0.8·(tA + tC/2), tC = 0.8·tB.
        var (a, b, c) = (TestPeers.Id(1), TestPeers.Id(2), TestPeers.Id(3));
        var matrix = new TrustMatrixBuilder()
            .AddRow(a, Row(a, (b, 1)))
            .AddRow(b, Row(b, (c, 1)))
            .AddRow(c, Row(c, (a, 1), (b, 1)))
            .AddPreTrusted(a)
            .Build();
        var trust = EigenTrust.Compute(matrix, 0.2, 1e-12, 1000, Now);

        // Substituting: tC = 0.8 tB, tB = 0.8 tA + 0.32 tB ⇒ tB = (0.8/0.68) tA, tA = 0.2 + 0.32 tB.
        var tA = 0.2 / (1 - (0.32 * 0.8 / 0.68));
        var tB = 0.8 / 0.68 * tA;
        var tC = 0.8 * tB;
        Assert.Equal(tA, trust.TrustOf(a), 9);
        Assert.Equal(tB, trust.TrustOf(b), 9);
        Assert.Equal(tC, trust.TrustOf(c), 9);
        Assert.Equal(1.0, tA + tB + tC, 12);
        Assert.True(trust.Run.Converged);
    }

    [Fact]
    public void Compute_PeerWithEmptyRow_PassesItsTrustToThePreTrusted()
    {
        var (a, b) = (TestPeers.Id(1), TestPeers.Id(2));
        var matrix = new TrustMatrixBuilder().AddRow(a, Row(a, (b, 1))).AddRow(b, LocalTrustVector.Empty).AddPreTrusted(a).Build();
        var trust = EigenTrust.Compute(matrix, 0.1, 1e-12, 1000, Now);
        // tB = 0.9 tA, tA = 0.1 + 0.9 tB (B's row is p = A) ⇒ tA = 1/1.9.
        Assert.Equal(1 / 1.9, trust.TrustOf(a), 9);
        Assert.Equal(0.9 / 1.9, trust.TrustOf(b), 9);
    }

    [Fact]
    public void Compute_UnknownPeer_HasZeroTrust()
    {
        var a = TestPeers.Id(1);
        var matrix = new TrustMatrixBuilder().AddRow(a, LocalTrustVector.Empty).AddPreTrusted(a).Build();
        var trust = EigenTrust.Compute(matrix, 0.1, 1e-9, 10, Now);
        Assert.Equal(0, trust.TrustOf(TestPeers.Id(2)));
        Assert.Equal(1.0, trust.TrustOf(a), 12);
    }

    [Fact]
    public void Compute_AThousandPeersKnowingFiftyToTwoHundred_ConvergesBelow1e3InTenIterations()
    {
        var matrix = RandomMatrix(1000, 50, 200, preTrusted: 10, seed: 3);
        var trust = EigenTrust.Compute(matrix, new PlacementOptions(), Now);
        Assert.True(trust.Run.Converged, $"residual {trust.Run.Residual} after {trust.Run.Iterations}");
        Assert.True(trust.Run.Iterations <= 10, $"{trust.Run.Iterations} iterations");
        Assert.True(trust.Run.Residual < 1e-3);
        Assert.Equal(1.0, trust.Values.ToArray().Sum(), 9);
    }

    [Theory]
    [InlineData(0.3)]
    [InlineData(0.5)]
    public void Compute_CollectiveTrustingOnlyItself_GetsNothingFromPreTrustedHonestPeers(double maliciousShare)
    {
        // Threat model B in miniature: the collective's rows name only members; no honest peer trusts them.
        const int n = 200;
        var peers = TestPeers.Ids(n);
        var malicious = (int)(n * maliciousShare);
        var random = new Random(11);
        var builder = new TrustMatrixBuilder();
        for (var i = 0; i < n; i++)
        {
            var (from, to) = i < malicious ? (0, malicious) : (malicious, n);
            var scores = Enumerable.Range(0, 20).Select(_ => new KeyValuePair<PeerId, double>(peers[random.Next(from, to)], 1 + random.NextDouble()));
            builder.AddRow(peers[i], LocalTrustVector.FromScores(peers[i], scores, 256));
        }

        var withPreTrust = EigenTrust.Compute(builder.AddPreTrusted(peers[^1]).AddPreTrusted(peers[^2]).Build(), 0.1, 1e-9, 500, Now);
        Assert.Equal(0, Enumerable.Range(0, malicious).Sum(i => withPreTrust.TrustOf(peers[i])));

        // The defence is the pre-trusted set: with p uniform over everyone the collective keeps its share.
        var builderWithout = new TrustMatrixBuilder();
        for (var i = 0; i < n; i++)
        {
            var (from, to) = i < malicious ? (0, malicious) : (malicious, n);
            var scores = Enumerable.Range(0, 20).Select(_ => new KeyValuePair<PeerId, double>(peers[random.Next(from, to)], 1 + random.NextDouble()));
            builderWithout.AddRow(peers[i], LocalTrustVector.FromScores(peers[i], scores, 256));
        }

        var uniform = EigenTrust.Compute(builderWithout.Build(), 0.1, 1e-9, 500, Now);
        Assert.Equal(maliciousShare, Enumerable.Range(0, malicious).Sum(i => uniform.TrustOf(peers[i])), 3);
    }

    [Theory]
    [InlineData(0.5, false)]
    [InlineData(0.9, true)]
    public void Compute_MaliciousPreTrustedPeer_HandsItsCollectiveTrustOnlyWhileItsShareOfPOutweighsTheNodesOwn(double ownShare, bool defended)
    {
        // A node (self) pre-trusts itself and one bootstrap peer. The bootstrap peer belongs to a collective of 8: its row
        // and the members' rows name only members. Self's own row names the 12 honest peers it saw behave, whose rows name
        // each other. With p split evenly (the node and one bootstrap peer, uniform p) the collective holds about half of
        // all trust, so each member more than an honest peer; with the node's own row at 0.9 of p it holds about a tenth.
        var self = TestPeers.Id(0);
        var members = TestPeers.Ids(8, first: 1);
        var honest = TestPeers.Ids(12, first: 20);
        var builder = new TrustMatrixBuilder().AddRow(self, Row(self, [.. honest.Select(h => (h, 1.0))]));
        foreach (var m in members)
        {
            builder.AddRow(m, Row(m, [.. members.Where(o => o != m).Select(o => (o, 1.0))]));
        }

        foreach (var h in honest)
        {
            builder.AddRow(h, Row(h, [.. honest.Where(o => o != h).Select(o => (o, 1.0))]));
        }

        var trust = EigenTrust.Compute(builder.AddPreTrusted(self, ownShare).AddPreTrusted(members[0], 1 - ownShare).Build(), 0.5, 1e-9, 500, Now);

        var collective = members.Sum(trust.TrustOf);
        var perMember = (collective - trust.TrustOf(members[0])) / (members.Length - 1);
        var perHonest = honest.Average(trust.TrustOf);
        // Everything that enters the collective stays there: it holds exactly the bootstrap peer's share of p.
        Assert.Equal(1 - ownShare, collective, 6);
        if (defended)
        {
            Assert.True(perMember < perHonest / 3, $"member {perMember:E3}, honest {perHonest:E3}");
        }
        else
        {
            Assert.True(perMember > perHonest, $"member {perMember:E3}, honest {perHonest:E3}");
        }
    }

    [Fact]
    public void Build_PreTrustWeights_AreNormalisedAndUniformByDefault()
    {
        var (a, b, c) = (TestPeers.Id(1), TestPeers.Id(2), TestPeers.Id(3));
        var weighted = new TrustMatrixBuilder().AddPreTrusted(a, 3).AddPreTrusted(b, 1).Build();
        Assert.Equal(1.0, weighted.PreTrust.ToArray().Sum(), 12);
        Assert.Equal(0.75, weighted.PreTrust[weighted.PreTrusted.IndexOf(weighted.TryGetIndex(a, out var ia) ? ia : -1)], 12);
        var uniform = new TrustMatrixBuilder().AddPreTrusted([a, b, c]).Build();
        Assert.All(uniform.PreTrust.ToArray(), p => Assert.Equal(1.0 / 3, p, 12));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrustMatrixBuilder().AddPreTrusted(a, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrustMatrixBuilder().AddPreTrusted(a, double.NaN));
    }

    [Fact]
    public void Solve_SameMatrix_WritesTheSameVectorAsCompute()
    {
        var matrix = RandomMatrix(300, 10, 40, preTrusted: 3, seed: 8);
        var snapshot = EigenTrust.Compute(matrix, 0.1, 1e-6, 50, Now);
        var trust = new double[matrix.PeerCount];
        var scratch = new double[matrix.PeerCount];
        var run = EigenTrust.Solve(matrix, 0.1, 1e-6, 50, trust, scratch);
        Assert.Equal(snapshot.Run, run);
        Assert.Equal(snapshot.Values.ToArray(), trust);
    }

    [Fact]
    public void Build_RowNamingItsIssuer_LeavesTheSelfEntryOut()
    {
        var (a, b) = (TestPeers.Id(1), TestPeers.Id(2));
        // Built by hand: FromScores would already drop it.
        var entries = new[] { new TrustEntry(a, 0.5f), new TrustEntry(b, 0.5f) }.OrderBy(e => e.Peer).ToArray();
        var matrix = new TrustMatrixBuilder().AddRow(a, new LocalTrustVector(entries)).Build();
        matrix.TryGetIndex(a, out var row);
        Assert.Equal(1, matrix.RowColumns(row).Length);
        Assert.Equal(1f, matrix.RowValues(row)[0]);
    }

    /// <summary>n peers, each naming between min and max others with random scores; the first <paramref name="preTrusted"/> are pre-trusted.</summary>
    internal static TrustMatrix RandomMatrix(int n, int min, int max, int preTrusted, int seed)
    {
        var random = new Random(seed);
        var peers = new PeerId[n];
        for (var i = 0; i < n; i++)
        {
            peers[i] = PeerId.Random(random);
        }

        var builder = new TrustMatrixBuilder();
        for (var i = 0; i < n; i++)
        {
            var count = random.Next(min, max + 1);
            var scores = new List<KeyValuePair<PeerId, double>>(count);
            for (var k = 0; k < count; k++)
            {
                scores.Add(new(peers[random.Next(n)], random.NextDouble()));
            }

            builder.AddRow(peers[i], LocalTrustVector.FromScores(peers[i], scores, 4096));
        }

        for (var i = 0; i < preTrusted; i++)
        {
            builder.AddPreTrusted(peers[i]);
        }

        return builder.Build();
    }
}
