using Overlay.Crypto;

namespace Overlay.Dht;

/// <summary>
/// How a holder cuts its sorted keys into provider batches (docs/PROTOCOL.md, "Batched announcements"): a batch starts
/// at a key whose k closest peers a lookup found, and takes every following key whose k closest, among the peers this
/// node knows (that set and its routing table), are the same peers, up to a size limit. Under the XOR metric the keys
/// sharing a set of closest peers share a prefix, so they are neighbours in sorted order. A pure function of its inputs.
/// </summary>
public static class ProviderBatchGrouping
{
    /// <summary>
    /// The end (exclusive) of the batch that starts at <paramref name="start"/> of <paramref name="sortedKeys"/>, whose
    /// k closest are <paramref name="closest"/>; <paramref name="others"/> are the other peers known (members of
    /// <paramref name="closest"/> among them are ignored). At most <paramref name="maxIds"/> keys; at least one.
    /// </summary>
    public static int BatchEnd(ReadOnlySpan<PeerId> sortedKeys, int start, IReadOnlyList<PeerId> closest, IEnumerable<PeerId> others, int maxIds)
    {
        ArgumentNullException.ThrowIfNull(closest);
        ArgumentNullException.ThrowIfNull(others);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxIds, 1);
        var members = new HashSet<PeerId>(closest);
        var outsiders = others.Where(o => !members.Contains(o)).Distinct().ToArray();
        var end = start + 1;
        while (end < sortedKeys.Length && end - start < maxIds && SameClosest(sortedKeys[end], closest, outsiders))
        {
            end++;
        }

        return end;
    }

    // The key's closest are the set when every member is nearer the key than every outsider known.
    private static bool SameClosest(PeerId key, IReadOnlyList<PeerId> closest, PeerId[] outsiders)
    {
        var farthest = default(PeerId);
        foreach (var member in closest)
        {
            var d = key.Xor(member);
            if (d > farthest)
            {
                farthest = d;
            }
        }

        foreach (var outsider in outsiders)
        {
            if (key.Xor(outsider) < farthest)
            {
                return false;
            }
        }

        return true;
    }
}
