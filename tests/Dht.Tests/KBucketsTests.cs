using Overlay.Dht.Routing;

namespace Overlay.Dht.Tests;

public sealed class KBucketsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void MarkRefreshed_OfABucketNoPeerReached_CreatesNoBucket()
    {
        var buckets = new KBuckets(capacity: 20, cacheCapacity: 10, T0);
        buckets.GetOrCreate(3);

        // A node's lookup of its own id marks bucket 255: that must not widen the array to 256 slots.
        buckets.MarkRefreshed(255, T0.AddMinutes(1));
        buckets.MarkRefreshed(4, T0.AddMinutes(2));

        Assert.Equal(4, buckets.Length);
        Assert.Null(buckets[4]);
        Assert.Null(buckets[255]);
        Assert.Equal(T0.AddMinutes(1), buckets.LastRefreshed(255));
        Assert.Equal(T0.AddMinutes(2), buckets.LastRefreshed(4));
        Assert.Equal(T0, buckets.LastRefreshed(5));
    }

    [Fact]
    public void GetOrCreate_OfAMarkedBucket_KeepsItsMark()
    {
        var buckets = new KBuckets(capacity: 20, cacheCapacity: 10, T0);
        buckets.MarkRefreshed(7, T0.AddMinutes(1));
        buckets.MarkRefreshed(7, T0.AddMinutes(5));
        buckets.MarkRefreshed(9, T0.AddMinutes(2));

        var b = buckets.GetOrCreate(7);

        Assert.Equal(T0.AddMinutes(5), b.LastRefreshed);
        Assert.Equal(8, buckets.Length);
        Assert.Same(b, buckets[7]);
        Assert.Equal(T0.AddMinutes(2), buckets.LastRefreshed(9));

        // Once created, the bucket holds its own mark.
        buckets.MarkRefreshed(7, T0.AddMinutes(9));
        Assert.Equal(T0.AddMinutes(9), b.LastRefreshed);
        Assert.Equal(T0, buckets.GetOrCreate(2).LastRefreshed);
    }

    [Fact]
    public void Indexer_BeyondTheDeepestBucket_IsNull()
    {
        var buckets = new KBuckets(capacity: 20, cacheCapacity: 10, T0);

        Assert.Equal(0, buckets.Length);
        Assert.Null(buckets[0]);
        Assert.Null(buckets[255]);
        Assert.Null(buckets[256]);
        Assert.True(buckets.All.IsEmpty);
    }
}
