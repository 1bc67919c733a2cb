using Overlay.Crypto;

namespace Overlay.Placement.Trust;

/// <summary>
/// A row of EigenTrust's matrix C: one node's normalised local trust c_i· (Kamvar et al. 2003, §4.1),
/// entries sorted by PeerId with no duplicates, every value in (0, 1] and the values summing to 1. An
/// empty row means "trusts no one yet"; EigenTrust then reads the row as the pre-trusted distribution.
/// </summary>
public sealed class LocalTrustVector
{
    private readonly TrustEntry[] _entries;

    internal LocalTrustVector(TrustEntry[] entries) => _entries = entries;

    /// <summary>The row that trusts no one.</summary>
    public static LocalTrustVector Empty { get; } = new([]);

    /// <summary>The entries, sorted by PeerId.</summary>
    public ReadOnlySpan<TrustEntry> Entries => _entries;

    /// <summary>Number of peers the row names.</summary>
    public int Count => _entries.Length;

    /// <summary>c_ij for <paramref name="peer"/>; 0 when the row does not name it.</summary>
    public double ValueOf(PeerId peer)
    {
        var lo = 0;
        var hi = _entries.Length - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var c = _entries[mid].Peer.CompareTo(peer);
            if (c == 0)
            {
                return _entries[mid].Value;
            }

            if (c < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return 0;
    }

    /// <summary>
    /// The row of non-negative scores s_ij: values at or below zero and non-finite ones are left out, the
    /// <paramref name="maxEntries"/> highest are kept (ties by PeerId), and those are normalised to sum 1.
    /// A peer named twice keeps the sum of its scores. <paramref name="issuer"/> is never named: trust in
    /// oneself would let a node pump its own global trust.
    /// </summary>
    public static LocalTrustVector FromScores(PeerId issuer, IEnumerable<KeyValuePair<PeerId, double>> scores, int maxEntries)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEntries, 1);
        var merged = new Dictionary<PeerId, double>();
        foreach (var (peer, score) in scores)
        {
            if (peer == issuer || !(score > 0) || double.IsInfinity(score))
            {
                continue;
            }

            merged[peer] = merged.GetValueOrDefault(peer) + score;
        }

        var kept = new List<KeyValuePair<PeerId, double>>(merged);
        if (kept.Count > maxEntries)
        {
            // Highest scores first; among equal scores the lower PeerId, so the row is a function of the scores alone.
            kept.Sort(static (a, b) => a.Value != b.Value ? b.Value.CompareTo(a.Value) : a.Key.CompareTo(b.Key));
            kept.RemoveRange(maxEntries, kept.Count - maxEntries);
        }

        var sum = 0.0;
        foreach (var pair in kept)
        {
            sum += pair.Value;
        }

        var entries = new List<TrustEntry>(kept.Count);
        foreach (var (peer, score) in kept)
        {
            var value = (float)(score / sum);
            // A share below float's smallest value is no trust at all; leaving it out keeps every value positive.
            if (value > 0)
            {
                entries.Add(new TrustEntry(peer, value));
            }
        }

        entries.Sort(static (a, b) => a.Peer.CompareTo(b.Peer));
        return new LocalTrustVector([.. entries]);
    }
}
