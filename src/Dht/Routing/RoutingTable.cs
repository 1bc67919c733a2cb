using Overlay.Crypto;
using Overlay.Dht.Coordinates;

namespace Overlay.Dht.Routing;

/// <summary>
/// A Kademlia routing table over the full 256-bit keyspace: bucket <c>i</c> holds contacts whose id
/// shares exactly <c>i</c> leading bits with the local id (so the XOR distance lies in
/// [2^(255-i), 2^(256-i))). It does no I/O: when a full bucket needs its least-recently-seen contact
/// pinged, it says so in the <see cref="ObserveResult"/> and the caller reports the answer.
/// The table keeps the buckets, their counts and ping-before-evict; <see cref="GroupDiversity"/> its
/// diversity limits and <see cref="ProximitySelection"/> its preference for low-latency contacts.
/// Not thread-safe: one owner (the DHT service loop) calls it, and the parts it holds are called only through it.
/// </summary>
public sealed class RoutingTable
{
    /// <summary>Number of buckets: one per possible common-prefix length below 256.</summary>
    public const int BucketCount = 256;

    private readonly KBuckets _buckets;
    private readonly GroupDiversity _diversity;
    private readonly ProximitySelection _proximity;
    private readonly DhtOptions _options;
    private readonly EvictionPingBudget _evictionPings;

    /// <summary>Creates an empty table for <paramref name="self"/>.</summary>
    /// <param name="self">The local node's id; never stored as a contact.</param>
    /// <param name="options">Validated options (K, replacement cache, diversity limits).</param>
    /// <param name="now">Creation time: buckets count as refreshed at this instant.</param>
    public RoutingTable(PeerId self, DhtOptions options, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.EnsureValid();
        Self = self;
        _options = options;
        _evictionPings = new EvictionPingBudget(options.EvictionPingsPerMinute, now);
        _buckets = new KBuckets(options.K, options.ReplacementCacheSize, now);
        _diversity = new GroupDiversity(options);
        _proximity = new ProximitySelection(options, _diversity, NeighbourhoodBucket);
    }

    /// <summary>The local node's id.</summary>
    public PeerId Self { get; }

    /// <summary>Contacts in all buckets (not counting replacement caches).</summary>
    public int Count { get; private set; }

    /// <summary>
    /// Told the id of each contact that leaves the table as gone: its eviction ping failed or was never
    /// reported, <see cref="DhtOptions.StaleContactFailures"/> requests in a row failed, or <see cref="Remove"/>
    /// removed it. Not told when a faster newcomer displaces a live contact (proximity selection keeps that one
    /// in the replacement cache). Called synchronously by whoever holds the table: it must be quick and must
    /// not call back into the table.
    /// </summary>
    public Action<PeerId>? ContactEvicted { get; set; }

    /// <summary>Replacement-cache entries over all buckets.</summary>
    internal int ReplacementTotal
    {
        get
        {
            var n = 0;
            foreach (var b in _buckets.All)
            {
                n += b?.CacheCount ?? 0;
            }

            return n;
        }
    }

    /// <summary>Bucket index of <paramref name="id"/>: the number of leading bits it shares with <see cref="Self"/>; 256 for Self.</summary>
    public int BucketIndexOf(PeerId id) => Self.Xor(id).LeadingZeroCount();

    /// <summary>Contacts in bucket <paramref name="index"/>.</summary>
    public int BucketSize(int index) => _buckets[index]?.Count ?? 0;

    /// <summary>Replacement-cache entries of bucket <paramref name="index"/>.</summary>
    public int ReplacementCount(int index) => _buckets[index]?.CacheCount ?? 0;

    /// <summary>Copies bucket <paramref name="index"/>, least-recently-seen first; returns the count written.</summary>
    public int CopyBucket(int index, Span<Contact> destination)
    {
        var b = _buckets[index];
        if (b is null)
        {
            return 0;
        }

        var n = Math.Min(b.Count, destination.Length);
        for (var i = 0; i < n; i++)
        {
            destination[i] = b.Entry(i);
        }

        return n;
    }

    /// <summary>Adds the id of every contact and replacement-cache entry to <paramref name="ids"/>.</summary>
    internal void CollectHeld(ICollection<PeerId> ids)
    {
        foreach (var b in _buckets.All)
        {
            if (b is null)
            {
                continue;
            }

            foreach (var c in b.Entries)
            {
                ids.Add(c!.Id);
            }

            foreach (var c in b.CacheEntries)
            {
                ids.Add(c!.Id);
            }
        }
    }

    /// <summary>The contact with <paramref name="id"/>, or null.</summary>
    public Contact? Find(PeerId id)
    {
        var b = _buckets[BucketIndexOf(id)];
        var i = b?.IndexOf(id) ?? -1;
        return i >= 0 ? b!.Entry(i) : null;
    }

    /// <summary>
    /// Records that <paramref name="id"/> was seen alive at <paramref name="now"/> (it answered, or it
    /// sent us a request). Known contacts move to the most-recently-seen end; new ones are added if
    /// their bucket has room and the diversity limits allow. When the bucket is full the newcomer waits
    /// in the replacement cache and the caller is asked to ping the least-recently-seen contact.
    /// </summary>
    /// <param name="id">The peer seen.</param>
    /// <param name="group">Network group of its address (<see cref="NetworkGroup.FromAddress"/>).</param>
    /// <param name="now">When it was seen.</param>
    /// <param name="latencyMs">Measured or predicted RTT in ms, or NaN when unknown.</param>
    /// <param name="address">Opaque dialable address, or null to keep the known one.</param>
    /// <param name="coordinate">The network coordinate the peer reported in its own latest answer, or null to keep the known one.</param>
    public ObserveResult Observe(PeerId id, NetworkGroup group, DateTimeOffset now, double latencyMs = double.NaN, string? address = null, VivaldiCoordinate? coordinate = null)
        => ObserveHeld(id, group, now, latencyMs, PeerAddress.Of(address), coordinate);

    /// <summary>As the public overload, with the address already in its held form.</summary>
    internal ObserveResult ObserveHeld(PeerId id, NetworkGroup group, DateTimeOffset now, double latencyMs, PeerAddress address, VivaldiCoordinate? coordinate)
    {
        var index = BucketIndexOf(id);
        if (index >= BucketCount)
        {
            return new ObserveResult(ObserveOutcome.RejectedSelf, null);
        }

        var b = _buckets.GetOrCreate(index);
        var at = b.IndexOf(id);
        if (at >= 0)
        {
            b.Entry(at).Seen(now, latencyMs, address, coordinate);
            b.MoveToTail(at);
            return new ObserveResult(ObserveOutcome.Updated, null);
        }

        if (!b.IsFull)
        {
            var refusal = _diversity.Refusal(b, group);
            if (refusal is { } r)
            {
                return new ObserveResult(r, null);
            }

            // A peer waiting in the cache moves into the bucket; it must not stay in both.
            var waiting = b.CacheIndexOf(id);
            if (waiting >= 0)
            {
                b.RemoveFromCacheAt(waiting);
            }

            Insert(b, new Contact(id, group, address, now, latencyMs) { Coordinate = coordinate });
            return new ObserveResult(ObserveOutcome.Added, null);
        }

        return ObserveInFullBucket(b, id, group, now, latencyMs, address, coordinate);
    }

    /// <summary>
    /// <see cref="Observe"/> of a peer not in its bucket, which is full: a faster newcomer may displace the
    /// slowest contact of a far bucket (<see cref="ProximitySelection"/>); otherwise it waits in the
    /// replacement cache, and the least-recently-seen contact is pinged unless it was heard from lately.
    /// </summary>
    private ObserveResult ObserveInFullBucket(KBucket b, PeerId id, NetworkGroup group, DateTimeOffset now, double latencyMs, PeerAddress address, VivaldiCoordinate? coordinate)
    {
        var cached = b.CacheIndexOf(id);
        Contact newcomer;
        if (cached >= 0)
        {
            newcomer = b.CacheEntry(cached);
            newcomer.Seen(now, latencyMs, address, coordinate);
        }
        else
        {
            newcomer = new Contact(id, group, address, now, latencyMs) { Coordinate = coordinate };
        }

        var slot = _proximity.SlotToSwap(b, newcomer);
        if (slot >= 0)
        {
            // The displaced contact is alive, only slower: it waits in the cache and is not reported as gone.
            var victim = b.Entry(slot);
            if (cached >= 0)
            {
                b.RemoveFromCacheAt(cached);
            }

            b.RemoveAt(slot);
            Count--;
            _diversity.Left(victim.Group);
            Insert(b, newcomer);
            b.AddToCache(victim);
            return new ObserveResult(ObserveOutcome.Added, null);
        }

        b.AddToCache(newcomer);

        if (b.PendingPing is { } pending)
        {
            // A report that never came counts as a failed ping, so a lost report cannot wedge the bucket.
            if (now - b.PendingPingSince < _options.RequestTimeout)
            {
                return new ObserveResult(ObserveOutcome.Cached, null);
            }

            b.PendingPing = null;
            EvictAndPromote(b, pending);
            if (!b.IsFull || b.IndexOf(id) >= 0)
            {
                return new ObserveResult(b.IndexOf(id) >= 0 ? ObserveOutcome.Added : ObserveOutcome.Cached, null);
            }
        }

        // Ping the least-recently-seen contact and keep it if it answers: long-lived peers are
        // likelier to stay online (Kademlia §2.2), and it costs an attacker real uptime to displace them.
        // One heard from within the fresh window is known to be alive already (it may just have answered
        // the last ping), so the newcomer waits in the cache without a ping (Kademlia §4.1).
        var oldest = b.Entry(0);
        if (now - oldest.LastSeen < _options.FreshContactWindow)
        {
            return new ObserveResult(ObserveOutcome.Cached, null);
        }

        if (!_evictionPings.TryTake(now))
        {
            return new ObserveResult(ObserveOutcome.Cached, null);
        }

        b.PendingPing = oldest;
        b.PendingPingSince = now;
        return new ObserveResult(ObserveOutcome.PingRequired, oldest);
    }

    /// <summary>
    /// The shallowest bucket that holds part of the node's own k closest contacts: it and every deeper
    /// bucket are the node's neighbourhood. The buckets are scanned from the deepest up until k contacts.
    /// </summary>
    private int NeighbourhoodBucket()
    {
        var seen = 0;
        for (var i = _buckets.Length - 1; i >= 0; i--)
        {
            seen += _buckets[i]?.Count ?? 0;
            if (seen >= _options.K)
            {
                return i;
            }
        }

        return 0;
    }

    /// <summary>
    /// Reports the answer to a ping requested by <see cref="Observe"/>. An answer keeps the contact
    /// (newcomers stay in the replacement cache); silence evicts it and promotes a cache entry.
    /// </summary>
    public void OnPingResult(PeerId id, bool answered, DateTimeOffset now, double latencyMs = double.NaN)
    {
        var index = BucketIndexOf(id);
        if (_buckets[index] is not { } b)
        {
            return;
        }

        if (b.PendingPing is { } pending && pending.Id == id)
        {
            b.PendingPing = null;
        }

        var at = b.IndexOf(id);
        if (at < 0)
        {
            return;
        }

        var c = b.Entry(at);
        if (answered)
        {
            c.Seen(now, latencyMs, PeerAddress.None, null);
            b.MoveToTail(at);
        }
        else
        {
            EvictAndPromote(b, c);
        }
    }

    /// <summary>
    /// Reports that a request to <paramref name="id"/> failed (timed out or was refused). After
    /// <see cref="DhtOptions.StaleContactFailures"/> failures the contact is replaced, but only when the
    /// replacement cache has someone to take its place: a node cut off from the network should not
    /// empty its own table (Kademlia §4.1).
    /// </summary>
    public void OnRequestFailed(PeerId id, DateTimeOffset now)
    {
        _ = now;
        var index = BucketIndexOf(id);
        if (_buckets[index] is not { } b)
        {
            return;
        }

        var at = b.IndexOf(id);
        if (at < 0)
        {
            var cached = b.CacheIndexOf(id);
            if (cached >= 0)
            {
                b.RemoveFromCacheAt(cached);
            }

            return;
        }

        var c = b.Entry(at);
        c.FailedRequests++;
        if (c.FailedRequests >= _options.StaleContactFailures && b.CacheCount > 0)
        {
            EvictAndPromote(b, c);
        }
    }

    /// <summary>Removes <paramref name="id"/> from its bucket (and cache) and promotes a replacement. Returns true if it was present.</summary>
    public bool Remove(PeerId id)
    {
        var index = BucketIndexOf(id);
        if (_buckets[index] is not { } b)
        {
            return false;
        }

        var cached = b.CacheIndexOf(id);
        if (cached >= 0)
        {
            b.RemoveFromCacheAt(cached);
        }

        var at = b.IndexOf(id);
        if (at < 0)
        {
            return cached >= 0;
        }

        EvictAndPromote(b, b.Entry(at));
        return true;
    }

    /// <summary>
    /// Writes the contacts closest to <paramref name="target"/> by XOR distance into
    /// <paramref name="destination"/>, closest first, and returns how many were written (at most its
    /// length). Allocation-free for up to 64 results.
    /// </summary>
    public int FindClosest(PeerId target, Span<Contact> destination) => FindClosest(target, destination, includeReplacements: false);

    /// <summary>
    /// As <see cref="FindClosest(PeerId, Span{Contact})"/>; with <paramref name="includeReplacements"/> the
    /// replacement caches count too. Cache entries are peers seen alive recently that only lack a slot
    /// (ping-before-evict keeps older contacts, §2.2), so an answer to another node's FIND_NODE may name
    /// them: otherwise a late joiner whose bucket is full at its neighbours stays invisible to lookups.
    /// </summary>
    public int FindClosest(PeerId target, Span<Contact> destination, bool includeReplacements) =>
        Count == 0 ? 0 : ClosestContacts.Find(_buckets.All, BucketIndexOf(target), target, destination, includeReplacements);

    /// <summary>
    /// Writes the indices of buckets due for a refresh at <paramref name="now"/> (not looked up for
    /// <see cref="DhtOptions.BucketRefreshInterval"/>) and returns how many were written. Only buckets up
    /// to one past the deepest non-empty bucket are considered: deeper ones are empty in any network of
    /// realistic size, and refreshing them would only cost lookups.
    /// </summary>
    public int StaleBuckets(DateTimeOffset now, Span<int> destination)
    {
        // Buckets that once held a peer may be empty again, so find the deepest bucket that holds a contact.
        var deepest = _buckets.Length - 1;
        while (deepest >= 0 && (_buckets[deepest]?.Count ?? 0) == 0)
        {
            deepest--;
        }

        var n = 0;
        var last = Math.Min(BucketCount - 1, deepest + 1);
        for (var i = 0; i <= last && n < destination.Length; i++)
        {
            var refreshed = _buckets.LastRefreshed(i);
            if (now - refreshed >= _options.BucketRefreshInterval)
            {
                destination[n++] = i;
            }
        }

        return n;
    }

    /// <summary>Marks the bucket that a lookup for <paramref name="target"/> refreshes as refreshed at <paramref name="now"/>.</summary>
    public void MarkLookup(PeerId target, DateTimeOffset now)
    {
        var index = Math.Min(BucketIndexOf(target), BucketCount - 1);
        _buckets.MarkRefreshed(index, now);
    }

    /// <summary>A uniformly random id that falls in bucket <paramref name="index"/>, to look up when refreshing it.</summary>
    public PeerId RandomIdInBucket(int index, Random random)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, BucketCount);
        ArgumentNullException.ThrowIfNull(random);
        Span<byte> self = stackalloc byte[PeerId.Size];
        Span<byte> id = stackalloc byte[PeerId.Size];
        Self.WriteTo(self);
        random.NextBytes(id);
        // Copy the first `index` bits of Self, then flip bit `index`: the common prefix is exactly `index`.
        var fullBytes = index >> 3;
        self[..fullBytes].CopyTo(id);
        var bit = index & 7;
        var keepMask = (byte)(0xFF << (8 - bit));
        var flip = (byte)(0x80 >> bit);
        id[fullBytes] = (byte)((self[fullBytes] & keepMask) | (~self[fullBytes] & flip) | (id[fullBytes] & ~keepMask & ~flip & 0xFF));
        return PeerId.FromBytes(id);
    }

    private void Insert(KBucket b, Contact c)
    {
        b.Append(c);
        Count++;
        _diversity.Joined(c.Group);
    }

    private void EvictAndPromote(KBucket b, Contact victim)
    {
        var at = b.IndexOf(victim.Id);
        if (at < 0)
        {
            return;
        }

        b.RemoveAt(at);
        Count--;
        _diversity.Left(victim.Group);
        ContactEvicted?.Invoke(victim.Id);

        if (b.PendingPing == victim)
        {
            b.PendingPing = null;
        }

        var pick = _proximity.PickReplacement(b);
        if (pick >= 0)
        {
            Insert(b, b.RemoveFromCacheAt(pick));
        }
    }
}
