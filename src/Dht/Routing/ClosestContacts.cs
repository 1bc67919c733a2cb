using System.Buffers;
using Overlay.Crypto;

namespace Overlay.Dht.Routing;

/// <summary>
/// The contacts of a routing table's buckets closest to a target by XOR distance: which buckets to visit,
/// in what order, and when the rest cannot be closer; each bucket's contacts merged into a short sorted prefix.
/// </summary>
internal static class ClosestContacts
{
    /// <summary>
    /// Writes the contacts of <paramref name="buckets"/> (indexed by common-prefix length with the table's
    /// own id; every deeper bucket is empty) closest to <paramref name="target"/> into
    /// <paramref name="destination"/>, closest first, and returns how many were written. <paramref name="split"/>
    /// is the target's bucket index (256 for the table's own id). Allocation-free for up to 64 results.
    /// </summary>
    public static int Find(ReadOnlySpan<KBucket?> buckets, int split, PeerId target, Span<Contact> destination, bool includeReplacements)
    {
        var highestBucket = buckets.Length - 1;
        var want = destination.Length;
        if (want == 0)
        {
            return 0;
        }

        PeerId[]? rented = null;
        var distances = want <= 64 ? stackalloc PeerId[want] : (rented = ArrayPool<PeerId>.Shared.Rent(want)).AsSpan(0, want);
        try
        {
            var count = 0;
            if (split >= buckets.Length)
            {
                // The target shares at least as many bits with Self as any held bucket's index (it is Self, or
                // its bucket is deeper than every held one): bucket i holds exactly the contacts at
                // common-prefix length i with the target too, so the deepest are the closest.
                for (var i = highestBucket; i >= 0 && count < want; i--)
                {
                    count = Collect(buckets[i], target, destination, distances, count, includeReplacements);
                }

                return count;
            }

            // Bucket `split` shares more than `split` bits with the target; every deeper bucket shares
            // exactly `split`; a shallower bucket i shares exactly i. So visit split, then the deeper ones,
            // then split-1 down to 0, and stop once the result is full: the rest are farther. (Bucket
            // `split` alone usually fills the result when the target is far from us, which is most
            // requests; then not one deeper contact needs looking at.)
            count = Collect(buckets[split], target, destination, distances, count, includeReplacements);

            // The deeper buckets share exactly `split` bits with the target, so they come as one group:
            // skipped whole when bucket `split` filled the result, otherwise visited whole (a later one
            // may hold contacts closer than an earlier one).
            if (count < want)
            {
                for (var i = split + 1; i <= highestBucket; i++)
                {
                    count = Collect(buckets[i], target, destination, distances, count, includeReplacements);
                }
            }

            for (var i = Math.Min(split, highestBucket + 1) - 1; i >= 0 && count < want; i--)
            {
                count = Collect(buckets[i], target, destination, distances, count, includeReplacements);
            }

            return count;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<PeerId>.Shared.Return(rented);
            }
        }
    }

    private static int Collect(KBucket? bucket, PeerId target, Span<Contact> destination, Span<PeerId> distances, int count, bool includeReplacements)
    {
        if (bucket is null)
        {
            return count;
        }

        count = Collect(bucket.Entries, target, destination, distances, count);
        return includeReplacements ? Collect(bucket.CacheEntries, target, destination, distances, count) : count;
    }

    private static int Collect(ReadOnlySpan<Contact?> entries, PeerId target, Span<Contact> destination, Span<PeerId> distances, int count)
    {
        var want = destination.Length;
        for (var e = 0; e < entries.Length; e++)
        {
            var c = entries[e]!;
            var d = c.Id.Xor(target);
            if (count == want && d >= distances[count - 1])
            {
                continue;
            }

            // Insertion into a short sorted prefix: k is small, so this beats a heap.
            var pos = count < want ? count : want - 1;
            while (pos > 0 && distances[pos - 1] > d)
            {
                distances[pos] = distances[pos - 1];
                destination[pos] = destination[pos - 1];
                pos--;
            }

            distances[pos] = d;
            destination[pos] = c;
            if (count < want)
            {
                count++;
            }
        }

        return count;
    }
}
