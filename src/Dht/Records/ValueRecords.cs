using Overlay.Crypto;
using Overlay.Dht.Persistence;

namespace Overlay.Dht.Records;

/// <summary>
/// The value records a <see cref="RecordStore"/> holds, with who published each here and when it was last
/// published or received, which is what republishing is decided on. No I/O, no clock: every call takes <c>now</c>.
/// </summary>
internal sealed class ValueRecords(DhtOptions options, RecordValidator validator)
{
    private sealed class Entry(DhtRecord record, bool local, DateTimeOffset lastPublished)
    {
        public DhtRecord Record = record;
        public bool Local = local;
        public DateTimeOffset LastPublished = lastPublished;
    }

    private readonly Dictionary<PeerId, Entry> _records = new();

    internal int Count => _records.Count;

    internal RecordRejection Put(DhtRecord record, DateTimeOffset now, bool publishedLocally, bool checkSignature)
    {
        ArgumentNullException.ThrowIfNull(record);
        _records.TryGetValue(record.Key, out var existing);
        var stored = existing is not null && existing.Record.ExpiresUnixMs > now.ToUnixTimeMilliseconds() ? existing.Record : null;
        if (existing is null && _records.Count >= options.MaxRecords)
        {
            return RecordRejection.StoreFull;
        }

        var verdict = validator.Validate(record, now, stored, checkSignature);
        if (verdict != RecordRejection.None)
        {
            return verdict;
        }

        if (existing is null)
        {
            _records.Add(record.Key, new Entry(record, publishedLocally, now));
        }
        else
        {
            existing.Record = record;
            // Another holder re-sending the publisher's own record must not postpone the publisher's
            // republish: only the publisher can re-sign before expiry, and it decides that when it is due.
            if (publishedLocally || !existing.Local)
            {
                existing.LastPublished = now;
            }

            existing.Local |= publishedLocally;
        }

        return RecordRejection.None;
    }

    internal DhtRecord? Get(PeerId key, DateTimeOffset now) =>
        _records.TryGetValue(key, out var e) && e.Record.ExpiresUnixMs > now.ToUnixTimeMilliseconds() ? e.Record : null;

    internal int RemoveExpired(long nowMs) => ExpiredEntries.Remove(_records, static e => e.Record.ExpiresUnixMs, nowMs);

    internal void CollectRepublishDue(DateTimeOffset now, List<RepublishDecision> into)
    {
        var nowMs = now.ToUnixTimeMilliseconds();
        var resignBeforeMs = (long)(2 * options.RepublishInterval.TotalMilliseconds);
        foreach (var entry in _records.Values)
        {
            if (entry.Record.ExpiresUnixMs <= nowMs || now - entry.LastPublished < options.RepublishInterval)
            {
                continue;
            }

            // The publisher's own record would expire within two republish rounds: ask for a fresh signature.
            var needsResign = entry.Local && entry.Record.ExpiresUnixMs - nowMs < resignBeforeMs;
            into.Add(new RepublishDecision(entry.Record, entry.Local, needsResign));
        }
    }

    internal void MarkRepublished(PeerId key, DateTimeOffset now)
    {
        if (_records.TryGetValue(key, out var e))
        {
            e.LastPublished = now;
        }
    }

    internal DateTimeOffset? NextDeadline()
    {
        DateTimeOffset? next = null;
        foreach (var e in _records.Values)
        {
            var due = e.LastPublished + options.RepublishInterval;
            var expires = e.Record.Expires;
            var first = due < expires ? due : expires;
            if (next is null || first < next)
            {
                next = first;
            }
        }

        return next;
    }

    internal void CopyTo(long nowMs, List<SavedRecord> into)
    {
        foreach (var entry in _records.Values)
        {
            if (entry.Record.ExpiresUnixMs > nowMs)
            {
                into.Add(new SavedRecord(entry.Record, entry.Local));
            }
        }
    }
}
