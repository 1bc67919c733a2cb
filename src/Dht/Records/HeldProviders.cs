using Overlay.Crypto;
using Overlay.Dht.Persistence;

namespace Overlay.Dht.Records;

/// <summary>
/// The provider records a <see cref="RecordStore"/> holds for other peers, single and batched, within its
/// limits: <see cref="DhtOptions.MaxProvidersPerKey"/> per key, <see cref="DhtOptions.MaxProviderIdsPerProvider"/>
/// per provider and <see cref="DhtOptions.MaxRecords"/> keys. No I/O, no clock: every call takes <c>now</c>.
/// </summary>
internal sealed class HeldProviders(DhtOptions options, RecordValidator validator)
{
    private readonly Dictionary<PeerId, List<ProviderRecord>> _providers = new();
    private readonly Dictionary<PeerId, int> _heldPerProvider = new();

    internal int KeyCount => _providers.Count;

    internal int HeldFrom(PeerId provider) => _heldPerProvider.GetValueOrDefault(provider);

    internal RecordRejection Add(ProviderRecord record, PeerId sender, DateTimeOffset now, bool checkSignature)
    {
        // Cheapest first: expiry and sender, then the stored version, the signature last.
        var verdict = validator.ValidateProviderUnsigned(record, sender, now);
        if (verdict != RecordRejection.None)
        {
            return verdict;
        }

        if (_providers.TryGetValue(record.Key, out var held) && held.Find(p => p.Provider == record.Provider) is { } stored
            && stored.ExpiresUnixMs > record.ExpiresUnixMs)
        {
            return RecordRejection.OlderAnnouncement;
        }

        verdict = checkSignature ? validator.CheckProviderSignature(record, now) : RecordRejection.None;
        if (verdict != RecordRejection.None)
        {
            return verdict;
        }

        return Keep(record);
    }

    internal RecordRejection AddBatch(ProviderBatch batch, PeerId sender, DateTimeOffset now, List<ProviderRecord>? kept)
    {
        var verdict = validator.ValidateBatchUnsigned(batch, sender, now);
        if (verdict != RecordRejection.None)
        {
            return verdict;
        }

        int fresh = 0, newKeys = 0;
        for (var i = 0; i < batch.Count; i++)
        {
            if (!_providers.TryGetValue(batch.IdAt(i), out var held))
            {
                fresh++;
                newKeys++;
            }
            else if (IndexOfProvider(held, batch.Provider) is var at and >= 0)
            {
                if (held[at].ExpiresUnixMs > batch.ExpiresUnixMs)
                {
                    return RecordRejection.OlderAnnouncement;
                }
            }
            else
            {
                fresh++;
            }
        }

        if ((long)HeldFrom(batch.Provider) + fresh > options.MaxProviderIdsPerProvider)
        {
            return RecordRejection.ProviderQuota;
        }

        if ((long)_providers.Count + newKeys > options.MaxRecords)
        {
            return RecordRejection.StoreFull;
        }

        verdict = validator.CheckBatchSignature(batch, now, out var tree);
        if (verdict != RecordRejection.None)
        {
            return verdict;
        }

        for (var i = 0; i < batch.Count; i++)
        {
            var record = batch.RecordAt(i, tree!);
            if (Keep(record) == RecordRejection.None)
            {
                kept?.Add(record);
            }
        }

        return RecordRejection.None;
    }

    internal int Get(PeerId key, DateTimeOffset now, Span<ProviderRecord> destination)
    {
        if (!_providers.TryGetValue(key, out var list))
        {
            return 0;
        }

        var nowMs = now.ToUnixTimeMilliseconds();
        var n = 0;
        foreach (var p in list)
        {
            if (n == destination.Length)
            {
                break;
            }

            if (p.ExpiresUnixMs > nowMs)
            {
                destination[n++] = p;
            }
        }

        return n;
    }

    internal int RemoveExpired(long nowMs)
    {
        var removed = 0;
        foreach (var (key, list) in _providers)
        {
            for (var i = list.Count - 1; i >= 0; i--)
            {
                if (list[i].ExpiresUnixMs <= nowMs)
                {
                    Forget(list[i].Provider);
                    list.RemoveAt(i);
                    removed++;
                }
            }

            if (list.Count == 0)
            {
                _providers.Remove(key);
            }
        }

        return removed;
    }

    internal void CopyTo(long nowMs, List<SavedProvider> into)
    {
        foreach (var list in _providers.Values)
        {
            foreach (var p in list)
            {
                if (p.ExpiresUnixMs > nowMs)
                {
                    into.Add(new SavedProvider(p, AnnouncedLocally: false));
                }
            }
        }
    }

    // Keeps a checked record: replaces the provider's own record for the key, else takes a place within the per-provider,
    // total and per-key limits.
    private RecordRejection Keep(ProviderRecord record)
    {
        _providers.TryGetValue(record.Key, out var list);
        if (list is not null && IndexOfProvider(list, record.Provider) is var own and >= 0)
        {
            list[own] = record;
            return RecordRejection.None;
        }

        if (HeldFrom(record.Provider) >= options.MaxProviderIdsPerProvider)
        {
            return RecordRejection.ProviderQuota;
        }

        if (list is null)
        {
            if (_providers.Count >= options.MaxRecords)
            {
                return RecordRejection.StoreFull;
            }

            list = new List<ProviderRecord>(4);
            _providers.Add(record.Key, list);
        }

        if (list.Count >= options.MaxProvidersPerKey)
        {
            // Make room only by dropping the provider closest to expiry, and only if the newcomer outlives it.
            var soonest = 0;
            for (var i = 1; i < list.Count; i++)
            {
                if (list[i].ExpiresUnixMs < list[soonest].ExpiresUnixMs)
                {
                    soonest = i;
                }
            }

            if (list[soonest].ExpiresUnixMs >= record.ExpiresUnixMs)
            {
                return RecordRejection.StoreFull;
            }

            Forget(list[soonest].Provider);
            list.RemoveAt(soonest);
        }

        list.Add(record);
        _heldPerProvider[record.Provider] = HeldFrom(record.Provider) + 1;
        return RecordRejection.None;
    }

    // Where the key's list holds this provider's record; -1 when it holds none.
    private static int IndexOfProvider(List<ProviderRecord> list, PeerId provider)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i].Provider == provider)
            {
                return i;
            }
        }

        return -1;
    }

    private void Forget(PeerId provider)
    {
        var held = HeldFrom(provider) - 1;
        if (held > 0)
        {
            _heldPerProvider[provider] = held;
        }
        else
        {
            _heldPerProvider.Remove(provider);
        }
    }
}
