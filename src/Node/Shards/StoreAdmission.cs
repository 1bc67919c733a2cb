using System.Globalization;
using Overlay.Crypto;
using Overlay.Node.Configuration;
using Overlay.Storage;
using Overlay.Transport;

namespace Overlay.Node.Shards;

/// <summary>
/// Decides, from a store's header alone and before a byte of the shard is read, whether a holder
/// takes it: cheapest checks first (willing, size), then the sender's rate, then the quotas of the
/// sender's identity and of its network prefix (/24 or /48: shards, bytes and distinct identities),
/// then the node's own. Stores admitted but not yet committed are counted as reserved (their shard and
/// bytes), so concurrent stores of one sender or one prefix cannot pass a check together; the ticket
/// returned releases the reservation once the store has committed or failed. The store checks the
/// sender's byte quota again in the write that commits.
/// </summary>
/// <remarks>
/// Prefix usage is the sum of the identities seen storing from that prefix (at most
/// <see cref="ShardExchangeOptions.MaxIdentitiesPerPrefix"/>); it is kept in memory, so after a restart
/// a prefix starts again from the identities that store anew, while each identity's own usage is the store's.
/// </remarks>
public sealed class StoreAdmission
{
    /// <summary>Most peers whose rate is tracked; past it, peers whose buckets are full again are forgotten.</summary>
    private const int MaxTrackedPeers = 65_536;

    private readonly ShardExchangeOptions _options;
    private readonly int _maxShardBytes;
    private readonly TimeProvider _time;
    private readonly Dictionary<PeerId, Bucket> _buckets = [];
    private readonly Dictionary<PeerId, Reserved> _reservedByPeer = [];
    private readonly Dictionary<string, Reserved> _reservedByPrefix = [];
    private readonly Dictionary<string, HashSet<PeerId>> _identities = [];
    private readonly object _gate = new();

    /// <summary>Creates the admission of a holder whose store accepts shards of up to <paramref name="maxShardBytes"/>.</summary>
    public StoreAdmission(ShardExchangeOptions options, int maxShardBytes, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _options = options;
        _maxShardBytes = maxShardBytes;
        _time = time;
    }

    /// <summary>The largest shard taken: the smaller of the store's limit and what the protocol carries.</summary>
    public int MaxShardBytes => _maxShardBytes;

    /// <summary>
    /// The verdict on <paramref name="sender"/>, connected from <paramref name="from"/>, storing <paramref name="size"/>
    /// bytes as <paramref name="id"/> in <paramref name="store"/>: a refusal with one sentence and, for Quota, whose
    /// quota; or None and a ticket to dispose once the store has committed or failed.
    /// </summary>
    public (ShardRefusal Refusal, string Reason, QuotaScope Scope, IDisposable? Ticket) Admit(IShardStore store, PeerId sender, TransportAddress from, ShardId id, int size)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(from);
        if (!_options.AcceptStores)
        {
            return (ShardRefusal.Unwilling, "This node keeps no shards for others (ShardExchange:AcceptStores is false).", default, null);
        }

        if (size > _maxShardBytes)
        {
            return (ShardRefusal.Size, Invariant($"The shard is {size} bytes; this node takes at most {_maxShardBytes}."), default, null);
        }

        if (!TakeToken(sender))
        {
            return (ShardRefusal.Rate, Invariant($"More than {_options.StoresPerMinutePerPeer} stores a minute from one identity; try later."), default, null);
        }

        var charge = (long)size + StorageUsage.ShardOverheadBytes;
        var prefix = AddressPrefix.Of(from);
        lock (_gate)
        {
            var owner = store.GetOwnerUsage(sender);
            var mine = _reservedByPeer.GetValueOrDefault(sender);
            if (owner.ShardCount + mine.Shards >= _options.MaxShardsPerPeer)
            {
                return (ShardRefusal.Quota, Invariant($"This node already keeps {owner.ShardCount} shards for you ({mine.Shards} more arriving), its limit per identity."), QuotaScope.Identity, null);
            }

            if (owner.ChargedBytes + mine.Bytes + charge > _options.MaxBytesPerPeer)
            {
                return (ShardRefusal.Quota, Invariant($"Keeping {size} more bytes for you would pass this node's limit of {_options.MaxBytesPerPeer} bytes per identity ({owner.ChargedBytes + mine.Bytes} charged or arriving)."), QuotaScope.Identity, null);
            }

            var identities = _identities.GetValueOrDefault(prefix);
            if (identities is null || !identities.Contains(sender))
            {
                if (identities is not null && identities.Count >= _options.MaxIdentitiesPerPrefix)
                {
                    return (ShardRefusal.Quota, Invariant($"{identities.Count} identities already store from {prefix}, this node's limit per network prefix."), QuotaScope.Prefix, null);
                }
            }

            var (prefixShards, prefixBytes) = PrefixUsage(store, identities);
            var theirs = _reservedByPrefix.GetValueOrDefault(prefix);
            if (prefixShards + theirs.Shards >= _options.MaxShardsPerPrefix)
            {
                return (ShardRefusal.Quota, Invariant($"This node already keeps {prefixShards} shards for identities in {prefix}, its limit per network prefix."), QuotaScope.Prefix, null);
            }

            if (prefixBytes + theirs.Bytes + charge > _options.MaxBytesPerPrefix)
            {
                return (ShardRefusal.Quota, Invariant($"Keeping {size} more bytes for {prefix} would pass this node's limit of {_options.MaxBytesPerPrefix} bytes per network prefix."), QuotaScope.Prefix, null);
            }

            if (!store.Contains(id) && store.GetUsage().FreeBytes < charge + ReservedBytes())
            {
                return (ShardRefusal.Quota, "This node's storage quota is used up.", QuotaScope.Node, null);
            }

            if (identities is null)
            {
                _identities[prefix] = identities = [];
            }

            identities.Add(sender);
            _reservedByPeer[sender] = mine.Add(1, charge);
            _reservedByPrefix[prefix] = theirs.Add(1, charge);
            return (ShardRefusal.None, string.Empty, default, new Ticket(this, sender, prefix, charge));
        }
    }

    private (long Shards, long Bytes) PrefixUsage(IShardStore store, HashSet<PeerId>? identities)
    {
        long shards = 0, bytes = 0;
        if (identities is null)
        {
            return (0, 0);
        }

        List<PeerId>? gone = null;
        foreach (var peer in identities)
        {
            var usage = store.GetOwnerUsage(peer);
            if (usage.ShardCount == 0 && !_reservedByPeer.ContainsKey(peer))
            {
                // Nothing kept for it any more (expired, deleted): it no longer counts against the prefix's identities.
                (gone ??= []).Add(peer);
            }

            shards += usage.ShardCount;
            bytes += usage.ChargedBytes;
        }

        foreach (var peer in gone ?? [])
        {
            identities.Remove(peer);
        }

        return (shards, bytes);
    }

    private long ReservedBytes()
    {
        long total = 0;
        foreach (var r in _reservedByPeer.Values)
        {
            total += r.Bytes;
        }

        return total;
    }

    private void Release(PeerId sender, string prefix, long charge)
    {
        lock (_gate)
        {
            Subtract(_reservedByPeer, sender, charge);
            Subtract(_reservedByPrefix, prefix, charge);
        }
    }

    private static void Subtract<TKey>(Dictionary<TKey, Reserved> reserved, TKey key, long charge)
        where TKey : notnull
    {
        var left = reserved.GetValueOrDefault(key).Add(-1, -charge);
        if (left.Shards <= 0)
        {
            reserved.Remove(key);
        }
        else
        {
            reserved[key] = left;
        }
    }

    private bool TakeToken(PeerId sender)
    {
        var now = _time.GetTimestamp();
        var perTick = _options.StoresPerMinutePerPeer / (60.0 * _time.TimestampFrequency);
        lock (_gate)
        {
            if (!_buckets.TryGetValue(sender, out var bucket))
            {
                if (_buckets.Count >= MaxTrackedPeers)
                {
                    Forget(now, perTick);
                }

                bucket = new Bucket { Tokens = _options.StoreBurstPerPeer, Stamp = now };
                _buckets[sender] = bucket;
            }

            bucket.Tokens = Math.Min(_options.StoreBurstPerPeer, bucket.Tokens + ((now - bucket.Stamp) * perTick));
            bucket.Stamp = now;
            if (bucket.Tokens < 1)
            {
                return false;
            }

            bucket.Tokens--;
            return true;
        }
    }

    // A peer whose bucket has refilled is indistinguishable from one never seen: dropping it loses nothing.
    private void Forget(long now, double perTick)
    {
        foreach (var (peer, bucket) in _buckets)
        {
            if (bucket.Tokens + ((now - bucket.Stamp) * perTick) >= _options.StoreBurstPerPeer)
            {
                _buckets.Remove(peer);
            }
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private readonly record struct Reserved(long Shards, long Bytes)
    {
        public Reserved Add(long shards, long bytes) => new(Shards + shards, Bytes + bytes);
    }

    private sealed class Bucket
    {
        public double Tokens { get; set; }

        public long Stamp { get; set; }
    }

    private sealed class Ticket(StoreAdmission owner, PeerId sender, string prefix, long charge) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                owner.Release(sender, prefix, charge);
            }
        }
    }
}
