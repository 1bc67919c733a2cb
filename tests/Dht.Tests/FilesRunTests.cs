using Overlay.Sim.Files;

namespace Overlay.Dht.Tests;

/// <summary>
/// <c>Overlay.Sim files</c> small enough for the suite: whole nodes on PlanetLab latencies store a file,
/// fetch it from another node, lose the holders of m positions of every stripe, and fetch it again.
/// </summary>
public class FilesRunTests(ITestOutputHelper output)
{
    [Fact]
    public void Files_FetchedBeforeAndAfterMHoldersOfEveryStripeDied_AreByteIdentical()
    {
        var settings = new FilesSettings { Nodes = 16, FileBytes = [300_000], DataShards = 4, ParityShards = 2, ChunkBytes = 64 << 10, Seed = 3 };
        var first = Run(settings);

        var file = Assert.Single(first.Files);
        Assert.Equal(5, file.Stripes);
        Assert.True(file.FetchIdentical);
        Assert.True(file.AfterKillIdentical);
        Assert.NotNull(file.FetchAfterKill);
        // Every stripe lost exactly m positions: the second fetch had only k of each left.
        Assert.Equal(2, file.MostDeadPerStripe);
        Assert.Equal(2, file.FewestDeadPerStripe);
        Assert.True(first.Killed >= 2);
    }

    [Fact]
    public void ChooseVictims_NeverTakesAStripePastM_AndSparesTheNamedNodes()
    {
        var random = new Random(9);
        for (var round = 0; round < 200; round++)
        {
            // Random stripes of 6 positions, each held by one or two of 12 nodes (some shared across stripes).
            var stripes = Enumerable.Range(0, 1 + random.Next(8)).Select(_ => Enumerable.Range(0, 6)
                .Select(_ => Enumerable.Range(0, 1 + random.Next(2)).Select(_ => random.Next(12)).ToHashSet()).ToArray()).ToList();
            var spared = new[] { random.Next(12) };
            var dead = FilesRun.ChooseVictims(stripes, 2, spared, new Random(round));

            Assert.DoesNotContain(spared[0], dead);
            Assert.All(stripes, positions => Assert.InRange(positions.Count(p => p.All(dead.Contains)), 0, 2));
        }
    }

    private FilesResult Run(FilesSettings settings)
    {
        using var text = new StringWriter();
        var result = new FilesRun(settings, SharedLatency.PlanetLab, text).Run();
        output.WriteLine(text.ToString());
        return result;
    }
}
