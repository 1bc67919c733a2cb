using Overlay.Crypto;
using Overlay.Placement.Selection;

namespace Overlay.Placement.Tests;

/// <summary>Candidate builders and an independent check of the placement caps.</summary>
internal static class Candidates
{
    public const long GiB = 1L << 30;

    public static PlacementCandidate Of(
        int n,
        ulong group = 0,
        ulong region = 0,
        double x = double.NaN,
        double y = double.NaN,
        double rtt = 50,
        double success = 1,
        double uptime = 1,
        long free = GiB) =>
        new(TestPeers.Id(n), group, region, x, y, rtt, success, uptime, free);

    /// <summary>Candidates 0..n−1, each in its own public /24, far apart, equal in every other way.</summary>
    public static PlacementCandidate[] Diverse(int n, int first = 0)
    {
        var candidates = new PlacementCandidate[n];
        for (var i = 0; i < n; i++)
        {
            candidates[i] = Of(first + i, group: (ulong)(first + i + 1), x: 100.0 * (first + i), y: 0);
        }

        return candidates;
    }

    /// <summary>
    /// Written apart from the placer: whether adding <paramref name="candidate"/> to <paramref name="members"/>
    /// keeps one replica per public subnet and at most ⌈r/2⌉ per region or coordinate cluster.
    /// </summary>
    public static bool KeepsCaps(IReadOnlyList<PlacementCandidate> members, PlacementCandidate candidate, int replicas, double radiusMs)
    {
        if (candidate.NetworkGroup != 0 && members.Any(m => m.NetworkGroup == candidate.NetworkGroup))
        {
            return false;
        }

        var cap = (replicas + 1) / 2;
        var all = members.Append(candidate).ToList();
        if (all.Count(o => Near(candidate, o, radiusMs)) > cap)
        {
            return false;
        }

        return !members.Any(m => Near(m, candidate, radiusMs) && all.Count(o => Near(m, o, radiusMs)) > cap);
    }

    public static bool Near(PlacementCandidate a, PlacementCandidate b, double radiusMs)
    {
        if (a.Region != 0 || b.Region != 0)
        {
            return a.Region == b.Region;
        }

        var d = Math.Sqrt(Math.Pow(a.CoordinateX - b.CoordinateX, 2) + Math.Pow(a.CoordinateY - b.CoordinateY, 2));
        return d <= radiusMs;
    }

    public static byte[] ObjectId(long n)
    {
        var id = new byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(id, n);
        return id;
    }

    public static PeerId[] PeersOf(WeightedCandidates set, ReadOnlySpan<int> chosen)
    {
        var peers = new PeerId[chosen.Length];
        for (var i = 0; i < chosen.Length; i++)
        {
            peers[i] = set.PeerAt(chosen[i]);
        }

        return peers;
    }
}
