using Overlay.Erasure.Decoding;

namespace Overlay.Erasure.Tests;

public sealed class DecodePlanCacheTests
{
    [Fact]
    public void TryReconstruct_SamePatternTwice_BuildsOnePlan()
    {
        var codec = new ReedSolomonCodec(10, 4);
        var random = new Random(51);
        var present = Stripes.RandomPattern(14, 4, random);
        for (var i = 0; i < 3; i++)
        {
            var shards = Stripes.Encoded(codec, 64, random);
            Stripes.Erase(shards, present, random);
            Assert.True(codec.TryReconstruct(shards, present, out _));
        }

        Assert.Equal(1, codec.Plans.Count);
        var data = Stripes.Encoded(codec, 64, random);
        Assert.True(codec.TryReconstructData(data, present, out _));
        Assert.Equal(2, codec.Plans.Count); // a data-only plan is its own entry
    }

    [Fact]
    public void Cache_ManyPatterns_StaysWithinItsBudgetAndStillRebuilds()
    {
        const long budget = 8 * 1024;
        var codec = new ReedSolomonCodec(10, 4, budget);
        var random = new Random(52);
        var shards = Stripes.Encoded(codec, 100, random);
        var original = Stripes.Copy(shards);
        for (var trial = 0; trial < 300; trial++)
        {
            var present = Stripes.RandomPattern(14, random.Next(1, 5), random);
            Stripes.Erase(shards, present, random);
            Assert.True(codec.TryReconstruct(shards, present, out _));
            Stripes.AssertShardsEqual(original, shards, 14);
            Assert.True(codec.Plans.HeldBytes <= budget, $"{codec.Plans.HeldBytes} bytes held");
        }

        Assert.InRange(codec.Plans.Count, 2, 300);
    }

    [Fact]
    public void Cache_ZeroBudget_KeepsNothingAndStillRebuilds()
    {
        var codec = new ReedSolomonCodec(5, 5, decodeCacheBytes: 0);
        var random = new Random(53);
        var shards = Stripes.Encoded(codec, 100, random);
        var original = Stripes.Copy(shards);
        var present = Stripes.RandomPattern(10, 5, random);
        Stripes.Erase(shards, present, random);
        Assert.True(codec.TryReconstruct(shards, present, out _));
        Stripes.AssertShardsEqual(original, shards, 10);
        Assert.Equal(0, codec.Plans.Count);
    }

    [Fact]
    public void Add_OverBudget_EvictsTheLeastRecentlyUsedPlan()
    {
        var plans = new List<(ErasurePattern Pattern, DecodePlan Plan)>();
        var parity = Galois.GaloisMatrix.CauchyParityRows(3, 2);
        foreach (var lost in new[] { 0, 1, 2 })
        {
            var present = new bool[5];
            Array.Fill(present, true);
            present[lost] = false;
            plans.Add((new ErasurePattern(present, dataOnly: false), DecodePlan.Build(Overlay.Erasure.Kernels.GfKernel.Scalar, parity, 3, 2, present, dataOnly: false)));
        }

        // Room for two plans: touching the first makes the second the oldest.
        var cache = new DecodePlanCache((2 * plans[0].Plan.SizeInBytes) + 1);
        cache.Add(plans[0].Pattern, plans[0].Plan);
        cache.Add(plans[1].Pattern, plans[1].Plan);
        Assert.True(cache.TryGet(plans[0].Pattern, out _));
        cache.Add(plans[2].Pattern, plans[2].Plan);
        Assert.True(cache.TryGet(plans[0].Pattern, out var kept));
        Assert.Same(plans[0].Plan, kept);
        Assert.False(cache.TryGet(plans[1].Pattern, out _));
        Assert.True(cache.TryGet(plans[2].Pattern, out _));
        Assert.Equal(2, cache.Count);
    }
}
