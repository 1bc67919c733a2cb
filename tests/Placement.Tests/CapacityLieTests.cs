using System.Diagnostics.Metrics;
using Overlay.Crypto;
using Overlay.Placement.Selection;
using Overlay.Placement.Trust;

namespace Overlay.Placement.Tests;

/// <summary>
/// A peer that announces far more free space than it gives: the announcement raises its capacity factor,
/// and only the refusals the placing node counts against its success rate bring its weight down.
/// </summary>
public sealed class CapacityLieTests : IDisposable
{
    private const int Honest = 9;
    private const int Liar = Honest;
    private const int Objects = 2_000;
    private readonly Meter _meter = new("test.placement.capacity");

    public void Dispose() => _meter.Dispose();

    [Fact]
    public void Select_LiarRefusesStores_RefusalsCountedDrawsAlmostNothing_IgnoredDrawsMoreThanItsShare()
    {
        var counted = LiarShareOfLastHalf(countRefusals: true);
        var ignored = LiarShareOfLastHalf(countRefusals: false);

        // Counted as failures, the refusals take the liar below 2 % of placements within a thousand objects.
        Assert.True(counted < 0.02, $"liar drew {counted:P1} with refusals counted");
        // Not counted, its 4 TiB announcement draws about 19 %, nearly twice the tenth an honest peer of ten gets.
        Assert.True(ignored > 0.15, $"liar drew {ignored:P1} with refusals ignored");
    }

    /// <summary>
    /// Places <see cref="Objects"/> objects one replica each among nine honest peers announcing 64 MiB (and
    /// storing what they get) and one announcing 4 TiB that refuses every store; the placing node keeps
    /// Laplace-smoothed success rates from what it saw. Returns the liar's share of the second half's picks.
    /// </summary>
    private double LiarShareOfLastHalf(bool countRefusals)
    {
        var options = new PlacementOptions();
        using var placer = new ShardPlacer(options, new Random(5), new PlacementMetrics(_meter));
        var succeeded = new int[Honest + 1];
        var tried = new int[Honest + 1];
        var candidates = new PlacementCandidate[Honest + 1];
        var set = new WeightedCandidates();
        var chosen = new int[1];
        var liarPicks = 0;
        for (var o = 0; o < Objects; o++)
        {
            for (var i = 0; i <= Honest; i++)
            {
                var free = i == Liar ? 4L << 40 : 64L << 20;
                candidates[i] = Candidates.Of(i, group: (ulong)(i + 1), x: 100.0 * i, y: 0, free: free,
                    success: (succeeded[i] + 1.0) / (tried[i] + 2.0));
            }

            set.Reset(candidates, TrustSnapshot.Empty, options);
            placer.Select(Candidates.ObjectId(o), 1, set, TestPeers.Id(1_000), chosen);
            var peer = chosen[0];
            liarPicks += peer == Liar && o >= Objects / 2 ? 1 : 0;
            if (peer != Liar)
            {
                succeeded[peer]++;
                tried[peer]++;
            }
            else if (countRefusals)
            {
                tried[peer]++;
            }
        }

        return liarPicks / (double)(Objects / 2);
    }
}
