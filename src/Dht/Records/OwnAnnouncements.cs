using Overlay.Crypto;
using Overlay.Dht.Persistence;

namespace Overlay.Dht.Records;

/// <summary>
/// The provider announcements a <see cref="RecordStore"/>'s own node made, one per key with when it was last
/// announced, so they can be repeated every <see cref="DhtOptions.RepublishInterval"/> and saved across restarts.
/// No I/O, no clock: every call takes <c>now</c>.
/// </summary>
internal sealed class OwnAnnouncements(DhtOptions options, RecordValidator validator)
{
    private sealed class Announcement(ProviderRecord record, DateTimeOffset lastAnnounced)
    {
        public ProviderRecord Record = record;
        public DateTimeOffset LastAnnounced = lastAnnounced;
    }

    private readonly Dictionary<PeerId, Announcement> _announced = new();

    internal int Count => _announced.Count;

    internal RecordRejection Add(ProviderRecord record, DateTimeOffset announcedAt, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(record);
        var verdict = validator.ValidateProviderUnsigned(record, record.Provider, now);
        if (verdict != RecordRejection.None)
        {
            return verdict;
        }

        if (_announced.TryGetValue(record.Key, out var existing))
        {
            existing.Record = record;
            existing.LastAnnounced = announcedAt;
            return RecordRejection.None;
        }

        if (_announced.Count >= options.MaxRecords)
        {
            return RecordRejection.StoreFull;
        }

        _announced.Add(record.Key, new Announcement(record, announcedAt));
        return RecordRejection.None;
    }

    internal void CollectDue(DateTimeOffset now, List<ProviderRecord> into)
    {
        var nowMs = now.ToUnixTimeMilliseconds();
        foreach (var a in _announced.Values)
        {
            if (a.Record.ExpiresUnixMs > nowMs && now - a.LastAnnounced >= options.RepublishInterval)
            {
                into.Add(a.Record);
            }
        }
    }

    internal int RemoveExpired(long nowMs) => ExpiredEntries.Remove(_announced, static e => e.Record.ExpiresUnixMs, nowMs);

    internal void CopyTo(long nowMs, List<SavedProvider> into)
    {
        foreach (var a in _announced.Values)
        {
            if (a.Record.ExpiresUnixMs > nowMs)
            {
                into.Add(new SavedProvider(a.Record, AnnouncedLocally: true));
            }
        }
    }
}
