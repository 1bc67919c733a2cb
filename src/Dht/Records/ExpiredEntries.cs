using Overlay.Crypto;

namespace Overlay.Dht.Records;

/// <summary>Drops the entries of a by-key table whose record has expired, a sweep value records and own announcements share.</summary>
internal static class ExpiredEntries
{
    /// <summary>Removes every entry whose expiry (unix ms) is at or before <paramref name="nowMs"/>; returns how many.</summary>
    internal static int Remove<T>(Dictionary<PeerId, T> entries, Func<T, long> expiresUnixMs, long nowMs)
    {
        var removed = 0;
        foreach (var (key, entry) in entries)
        {
            if (expiresUnixMs(entry) <= nowMs)
            {
                entries.Remove(key);
                removed++;
            }
        }

        return removed;
    }
}
