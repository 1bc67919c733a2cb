using Overlay.Crypto;
using Overlay.Placement.Selection;
using Overlay.Placement.Trust;

namespace Overlay.Benchmarks.Placement;

/// <summary>The inputs the placement benchmarks share: a sparse trust matrix and a candidate set, from fixed seeds.</summary>
internal static class PlacementWorkloads
{
    public static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Rows of <paramref name="peers"/> peers, each naming 50 to 200 others with random scores; ten pre-trusted.</summary>
    public static TrustMatrixBuilder SparseRows(int peers, int seed = 1)
    {
        var random = new Random(seed);
        var ids = new PeerId[peers];
        for (var i = 0; i < peers; i++)
        {
            ids[i] = PeerId.Random(random);
        }

        var builder = new TrustMatrixBuilder();
        for (var i = 0; i < peers; i++)
        {
            var count = random.Next(50, 201);
            var scores = new List<KeyValuePair<PeerId, double>>(count);
            for (var k = 0; k < count; k++)
            {
                scores.Add(new(ids[random.Next(peers)], random.NextDouble()));
            }

            builder.AddRow(ids[i], LocalTrustVector.FromScores(ids[i], scores, 256));
        }

        for (var i = 0; i < 10; i++)
        {
            builder.AddPreTrusted(ids[i]);
        }

        return builder;
    }

    /// <summary>
    /// <paramref name="count"/> candidates spread over 5,000 public /24s and a 300 ms square of coordinates,
    /// with measured RTT, success rate and uptime drawn at random, and a trust snapshot that knows 90 % of them.
    /// </summary>
    public static (PlacementCandidate[] Candidates, TrustSnapshot Trust) Candidates(int count, int seed = 2)
    {
        var random = new Random(seed);
        var candidates = new PlacementCandidate[count];
        var builder = new TrustMatrixBuilder();
        for (var i = 0; i < count; i++)
        {
            var peer = PeerId.Random(random);
            candidates[i] = new PlacementCandidate(peer, (ulong)random.Next(1, 5001), 0, random.NextDouble() * 300, random.NextDouble() * 300,
                5 + (random.NextDouble() * 295), 0.5 + (random.NextDouble() * 0.5), 0.5 + (random.NextDouble() * 0.5), (long)(random.NextDouble() * (1L << 34)) + 1);
            builder.AddPeer(peer);
        }

        // Each trusted candidate is named by a few others, so trust is spread unevenly, as EigenTrust would leave it.
        for (var i = 0; i < count * 9 / 10; i++)
        {
            var scores = new List<KeyValuePair<PeerId, double>>();
            for (var k = 0; k < 20; k++)
            {
                scores.Add(new(candidates[random.Next(count * 9 / 10)].Peer, random.NextDouble()));
            }

            builder.AddRow(candidates[i].Peer, LocalTrustVector.FromScores(candidates[i].Peer, scores, 256));
        }

        builder.AddPreTrusted(candidates[0].Peer);
        return (candidates, EigenTrust.Compute(builder.Build(), 0.1, 1e-6, 100, T0));
    }
}
