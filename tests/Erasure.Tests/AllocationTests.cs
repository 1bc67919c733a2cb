namespace Overlay.Erasure.Tests;

/// <summary>After the first call for an erasure pattern, the hot paths allocate nothing.</summary>
public sealed class AllocationTests
{
    [Fact]
    public void WarmCalls_AllocateNothing()
    {
        var codec = new ReedSolomonCodec(10, 4);
        var random = new Random(61);
        var shards = Stripes.Encoded(codec, 4096 + 3, random);
        var data = new byte[10 * 1000];
        var parity = new byte[4 * 1000];
        var present = Stripes.RandomPattern(14, 4, random);
        present[0] = false;

        void All()
        {
            codec.Encode(data, parity);
            codec.Encode(shards);
            Assert.True(codec.TryReconstruct(shards, present, out _));
            Assert.True(codec.TryReconstructData(shards, present, out _));
            Assert.True(codec.TryVerify(shards, out _));
        }

        All();
        All();
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10; i++)
        {
            All();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
