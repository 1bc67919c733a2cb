using System.Globalization;
using Overlay.Sim.Adversary;

namespace Overlay.Dht.Tests;

/// <summary>
/// S/Kademlia disjoint lookup paths (§4.4) against an eclipse attack on the real transport contract: a
/// fifth of the nodes collude (they answer PING honestly and lie to everything else), and the adversary
/// keeps Sybils next to the attacked keys, which colluders name when asked for those keys. The same
/// experiment as <c>Overlay.Sim adversary</c>, small enough for the suite. One seed gives one result.
/// </summary>
public class AdversarialNetworkTests(ITestOutputHelper output)
{
    [Fact]
    public void Lookup_FifthOfNodesEclipsing_OnePathIsCapturedButFourOrEightDisjointPathsReachTheKey()
    {
        var settings = new EclipseSettings(
            Nodes: 300, Malicious: 0.2, PopularKeys: 5, SybilsPerKey: 100, SybilBits: 24, Lookups: 30, PathCounts: [1, 4, 8],
            Gets: 0, Quorums: [1], Seed: 1);

        var result = new EclipseExperiment(settings, SharedLatency.PlanetLab, new TestOutputWriter(output)).Run();

        foreach (var (d, rate) in result.LookupSuccess)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"d = {d}: {rate:P1} of {settings.Lookups} lookups reached the honest node closest to the key"));
        }

        Assert.True(result.Lies > 0, "no colluder was ever asked");
        // The control: one path is captured often enough that the attack plainly works.
        Assert.True(result.LookupSuccess[1] <= 0.8, $"one path reached the key in {result.LookupSuccess[1]:P1} of lookups: the attack did not bite");
        Assert.True(result.LookupSuccess[4] >= 0.95, $"four disjoint paths reached the key in only {result.LookupSuccess[4]:P1} of lookups");
        Assert.True(result.LookupSuccess[8] >= 0.95, $"eight disjoint paths reached the key in only {result.LookupSuccess[8]:P1} of lookups");
    }

    [Fact]
    public void NearKey_SharesExactlyTheAskedBits()
    {
        var random = new Random(3);
        for (var i = 0; i < 200; i++)
        {
            var key = Crypto.PeerId.Random(random);
            var bits = random.Next(1, 64);
            Assert.Equal(bits, EclipseExperiment.NearKey(key, bits, random).Xor(key).LeadingZeroCount());
        }
    }

    [Fact]
    public void Formula_MatchesSKademliaForOneHopCount()
    {
        // All lookups of two hops, m = 20 %: one path succeeds with 0.8² = 0.64, four with 1 − 0.36⁴.
        var hops = new SortedDictionary<int, int> { [2] = 10 };
        Assert.Equal(0.64, AdversaryCommand.Formula(hops, 0.2, 1), 10);
        Assert.Equal(1 - Math.Pow(0.36, 4), AdversaryCommand.Formula(hops, 0.2, 4), 10);
    }

    /// <summary>Progress lines of the experiment into the test output.</summary>
    private sealed class TestOutputWriter(ITestOutputHelper output) : StringWriter(CultureInfo.InvariantCulture)
    {
        public override void WriteLine(string? value) => output.WriteLine(value ?? string.Empty);
    }
}
