using System.Globalization;
using Overlay.Crypto;
using Overlay.Node.Configuration;
using Overlay.Storage;

namespace Overlay.Node.Shards;

/// <summary>
/// Decides, from a store's header alone and before a byte of the shard is read, whether a holder
/// takes it: cheapest checks first (willing, size), then the sender's rate, then the sender's quota
/// (bytes and shards kept for its identity) and the node's own quota. The store checks the sender's
/// byte quota again in the write that commits, so concurrent stores of one sender cannot pass it together.
/// </summary>
public sealed class StoreAdmission
{
    /// <summary>Most peers whose rate is tracked; past it, peers whose buckets are full again are forgotten.</summary>
    private const int MaxTrackedPeers = 65_536;

    private readonly ShardExchangeOptions _options;
    private readonly int _maxShardBytes;
    private readonly TimeProvider _time;
    private readonly Dictionary<PeerId, Bucket> _buckets = [];
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

    /// <summary>The verdict on <paramref name="sender"/> storing <paramref name="size"/> bytes as <paramref name="id"/> in <paramref name="store"/>, with one sentence when refused.</summary>
    public (ShardRefusal Refusal, string Reason) Check(IShardStore store, PeerId sender, ShardId id, int size)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (!_options.AcceptStores)
        {
            return (ShardRefusal.Unwilling, "This node keeps no shards for others (ShardExchange:AcceptStores is false).");
        }

        if (size > _maxShardBytes)
        {
            return (ShardRefusal.Size, Invariant($"The shard is {size} bytes; this node takes at most {_maxShardBytes}."));
        }

        if (!TakeToken(sender))
        {
            return (ShardRefusal.Rate, Invariant($"More than {_options.StoresPerMinutePerPeer} stores a minute from one identity; try later."));
        }

        var charge = (long)size + StorageUsage.ShardOverheadBytes;
        var owner = store.GetOwnerUsage(sender);
        if (owner.ShardCount >= _options.MaxShardsPerPeer)
        {
            return (ShardRefusal.Quota, Invariant($"This node already keeps {owner.ShardCount} shards for you, its limit per identity."));
        }

        if (owner.ChargedBytes + charge > _options.MaxBytesPerPeer)
        {
            return (ShardRefusal.Quota, Invariant($"Keeping {size} more bytes for you would pass this node's limit of {_options.MaxBytesPerPeer} bytes per identity ({owner.ChargedBytes} charged)."));
        }

        if (!store.Contains(id) && store.GetUsage().FreeBytes < charge)
        {
            return (ShardRefusal.Quota, "This node's storage quota is used up.");
        }

        return (ShardRefusal.None, string.Empty);
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

    private sealed class Bucket
    {
        public double Tokens { get; set; }

        public long Stamp { get; set; }
    }
}
