using Overlay.Crypto;
using Overlay.Storage;
using Overlay.Transport;

namespace Overlay.Node.Shards;

/// <summary>
/// What the owner's maintenance watches, in memory: each owned shard's size, holders and receipt expiry,
/// the holders it suspects (with why and since when), and which holder keeps which shards (so one
/// batched probe per distinct holder covers all its shards). Rebuilt from the book at start, refreshed after
/// every put, audit, renewal and repair. Thread-safe. Suspicions are also indexed by holder and by shard, so
/// what a repair must avoid and which shards are due for repair cost the suspects, not every watched shard.
/// </summary>
public sealed class WatchedShards
{
    private readonly Dictionary<ShardId, Entry> _shards = [];
    private readonly Dictionary<PeerId, HashSet<ShardId>> _byHolder = [];
    private readonly Dictionary<PeerId, DateTimeOffset> _replaced = [];
    private readonly Dictionary<PeerId, int> _suspectedShardsOf = [];
    private readonly HashSet<ShardId> _withSuspects = [];
    private readonly HashSet<ShardId> _inProbation = [];
    private readonly object _gate = new();

    /// <summary>Shards watched.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _shards.Count;
            }
        }
    }

    /// <summary>Watched shards whose owner's copy is kept on probation (<see cref="OwnedShard.OwnerCopy"/>).</summary>
    public int InProbation
    {
        get
        {
            lock (_gate)
            {
                return _inProbation.Count;
            }
        }
    }

    /// <summary>Replaces what is known of the shard with <paramref name="shard"/> (from the book); suspicions of holders it still lists are kept.</summary>
    public void Refresh(OwnedShard shard)
    {
        ArgumentNullException.ThrowIfNull(shard);
        var holders = new List<(PeerId, TransportAddress, DateTimeOffset)>();
        foreach (var h in shard.Holders)
        {
            if (TransportAddress.TryParse(h.Address, out var address, out _))
            {
                var expiry = StorageReceipt.TryDecode(h.Receipt, out var receipt, out _) ? receipt.ExpiresAt : DateTimeOffset.MinValue;
                holders.Add((h.Peer, address.WithPeer(h.Peer), expiry));
            }
        }

        lock (_gate)
        {
            var entry = new Entry(shard.Size, holders);
            if (_shards.TryGetValue(shard.Id, out var old))
            {
                foreach (var (peer, _, _) in old.Holders)
                {
                    Unindex(peer, shard.Id);
                }

                foreach (var (peer, suspicion) in old.Suspects)
                {
                    Unsuspect(shard.Id, old, peer, keepEntry: true);
                    if (holders.Exists(h => h.Item1 == peer))
                    {
                        AddSuspect(shard.Id, entry, peer, suspicion);
                    }
                }

                entry.Queued = old.Queued;
                entry.LastRepair = old.LastRepair;
                if (entry.Suspects.Count == 0)
                {
                    _withSuspects.Remove(shard.Id);
                }
            }

            _shards[shard.Id] = entry;
            if (shard.OwnerCopy)
            {
                _inProbation.Add(shard.Id);
            }
            else
            {
                _inProbation.Remove(shard.Id);
            }

            foreach (var (peer, _, _) in holders)
            {
                if (!_byHolder.TryGetValue(peer, out var set))
                {
                    _byHolder[peer] = set = [];
                }

                set.Add(shard.Id);
            }
        }
    }

    /// <summary>Every watched shard's id.</summary>
    public IReadOnlyList<ShardId> Ids()
    {
        lock (_gate)
        {
            return [.. _shards.Keys];
        }
    }

    /// <summary>
    /// One probe per distinct holder that is <paramref name="due"/>: its address and every shard it keeps for this owner with
    /// the size it should have, in ascending id order (the order a batched probe names them in); and every distinct holder,
    /// due or not.
    /// </summary>
    public (IReadOnlyList<ProbeTarget> Targets, IReadOnlySet<PeerId> Holders) ProbeTargets(Func<PeerId, bool> due)
    {
        ArgumentNullException.ThrowIfNull(due);
        lock (_gate)
        {
            var result = new List<ProbeTarget>();
            foreach (var (peer, ids) in _byHolder)
            {
                if (due(peer))
                {
                    result.Add(TargetOf(peer, ids));
                }
            }

            return (result, new HashSet<PeerId>(_byHolder.Keys));
        }
    }

    /// <summary>One probe of <paramref name="holder"/>, as <see cref="ProbeTargets"/> makes it; null when it keeps none of this owner's shards.</summary>
    public ProbeTarget? ProbeTarget(PeerId holder)
    {
        lock (_gate)
        {
            return _byHolder.TryGetValue(holder, out var ids) ? TargetOf(holder, ids) : null;
        }
    }

    /// <summary>Suspects <paramref name="holder"/> of no longer keeping <paramref name="id"/>; false when it already was, or holds no such shard.</summary>
    public bool Suspect(ShardId id, PeerId holder, SuspectReason reason, DateTimeOffset now)
    {
        lock (_gate)
        {
            return _shards.TryGetValue(id, out var entry) && entry.Holders.Exists(h => h.Peer == holder) && AddSuspect(id, entry, holder, (reason, now));
        }
    }

    /// <summary>Suspects <paramref name="holder"/> of every shard it keeps; returns the shards newly suspected.</summary>
    public IReadOnlyList<ShardId> SuspectHolder(PeerId holder, SuspectReason reason, DateTimeOffset now)
    {
        lock (_gate)
        {
            var result = new List<ShardId>();
            if (_byHolder.TryGetValue(holder, out var ids))
            {
                foreach (var id in ids)
                {
                    if (AddSuspect(id, _shards[id], holder, (reason, now)))
                    {
                        result.Add(id);
                    }
                }
            }

            return result;
        }
    }

    /// <summary>
    /// A holder answered a probe: suspicions that it is not answering or left the routing table are dropped (a slow
    /// or restarted holder is a replica again).
    /// </summary>
    public void Answered(PeerId holder)
    {
        lock (_gate)
        {
            if (_byHolder.TryGetValue(holder, out var ids))
            {
                foreach (var id in ids)
                {
                    var entry = _shards[id];
                    if (entry.Suspects.TryGetValue(holder, out var s) && s.Reason is SuspectReason.NotAnswering or SuspectReason.LeftRoutingTable)
                    {
                        Unsuspect(id, entry, holder, keepEntry: false);
                    }
                }
            }
        }
    }

    /// <summary>Holders whose receipts have expired, as suspects (reason Expired); returns the shards newly suspected.</summary>
    public IReadOnlyList<ShardId> SuspectExpired(DateTimeOffset now)
    {
        lock (_gate)
        {
            var result = new List<ShardId>();
            foreach (var (id, entry) in _shards)
            {
                foreach (var (peer, _, expiry) in entry.Holders)
                {
                    if (expiry <= now && AddSuspect(id, entry, peer, (SuspectReason.Expired, now)))
                    {
                        result.Add(id);
                    }
                }
            }

            return result;
        }
    }

    /// <summary>
    /// Shards with suspects that are not queued for repair and were not tried within <paramref name="retryAfter"/>,
    /// marked queued; <paramref name="include"/> filters them (the retention policy).
    /// </summary>
    public IReadOnlyList<ShardId> TakeRepairsDue(DateTimeOffset now, TimeSpan retryAfter, Func<ShardId, bool> include)
    {
        lock (_gate)
        {
            var result = new List<ShardId>();
            foreach (var id in _withSuspects)
            {
                var entry = _shards[id];
                if (!entry.Queued && (entry.LastRepair is not { } last || now - last >= retryAfter) && include(id))
                {
                    entry.Queued = true;
                    result.Add(id);
                }
            }

            return result;
        }
    }

    /// <summary>The shard's suspects and the earliest time one was suspected; empty when none.</summary>
    public (IReadOnlyList<PeerId> Holders, DateTimeOffset Since, int Size) SuspectsOf(ShardId id)
    {
        lock (_gate)
        {
            if (!_shards.TryGetValue(id, out var entry) || entry.Suspects.Count == 0)
            {
                return ([], default, 0);
            }

            return ([.. entry.Suspects.Keys], entry.Suspects.Values.Min(s => s.Since), entry.Size);
        }
    }

    /// <summary>A repair of the shard ended (whatever its result): it may be queued again after the retry delay.</summary>
    public void RepairEnded(ShardId id, DateTimeOffset now)
    {
        lock (_gate)
        {
            if (_shards.TryGetValue(id, out var entry))
            {
                entry.Queued = false;
                entry.LastRepair = now;
            }
        }
    }

    /// <summary>Holders a repair has just replaced (they left a shard's book as suspects) at <paramref name="now"/>.</summary>
    public void Replaced(IEnumerable<PeerId> holders, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(holders);
        lock (_gate)
        {
            foreach (var holder in holders)
            {
                _replaced[holder] = now;
            }
        }
    }

    /// <summary>
    /// Holders this owner's repairs should not choose at <paramref name="now"/>: every holder it suspects of any shard,
    /// and those a repair replaced less than <paramref name="window"/> ago (older ones are forgotten).
    /// </summary>
    public IReadOnlySet<PeerId> Avoided(DateTimeOffset now, TimeSpan window)
    {
        lock (_gate)
        {
            var avoided = new HashSet<PeerId>(_suspectedShardsOf.Keys);

            List<PeerId>? forgotten = null;
            foreach (var (holder, at) in _replaced)
            {
                if (now - at < window)
                {
                    avoided.Add(holder);
                }
                else
                {
                    (forgotten ??= []).Add(holder);
                }
            }

            foreach (var holder in forgotten ?? [])
            {
                _replaced.Remove(holder);
            }

            return avoided;
        }
    }

    /// <summary>The earliest receipt expiry among the shard's holders; null when it is not watched or has none.</summary>
    public DateTimeOffset? EarliestExpiry(ShardId id)
    {
        lock (_gate)
        {
            return _shards.TryGetValue(id, out var entry) && entry.Holders.Count > 0 ? entry.Holders.Min(h => h.Expiry) : null;
        }
    }

    /// <summary>How many of the watched shards <paramref name="holder"/> keeps for this owner.</summary>
    public int HoldingsOf(PeerId holder)
    {
        lock (_gate)
        {
            return _byHolder.TryGetValue(holder, out var set) ? set.Count : 0;
        }
    }

    /// <summary>Suspects <paramref name="peer"/> of <paramref name="id"/> and indexes the suspicion; false when it already was.</summary>
    private bool AddSuspect(ShardId id, Entry entry, PeerId peer, (SuspectReason Reason, DateTimeOffset Since) suspicion)
    {
        if (!entry.Suspects.TryAdd(peer, suspicion))
        {
            return false;
        }

        _suspectedShardsOf[peer] = _suspectedShardsOf.GetValueOrDefault(peer) + 1;
        _withSuspects.Add(id);
        return true;
    }

    /// <summary>
    /// Drops the suspicion of <paramref name="peer"/>; <paramref name="keepEntry"/> drops it from the holder index only and
    /// leaves the entry as it is (an entry being replaced, whose suspicions are being carried over).
    /// </summary>
    private void Unsuspect(ShardId id, Entry entry, PeerId peer, bool keepEntry)
    {
        if (!keepEntry && entry.Suspects.Remove(peer) && entry.Suspects.Count == 0)
        {
            _withSuspects.Remove(id);
        }

        if (_suspectedShardsOf.TryGetValue(peer, out var count))
        {
            if (count <= 1)
            {
                _suspectedShardsOf.Remove(peer);
            }
            else
            {
                _suspectedShardsOf[peer] = count - 1;
            }
        }
    }

    private ProbeTarget TargetOf(PeerId peer, HashSet<ShardId> ids)
    {
        var shards = new List<(ShardId Id, int Size)>(ids.Count);
        TransportAddress? address = null;
        foreach (var id in ids)
        {
            var entry = _shards[id];
            shards.Add((id, entry.Size));
            address ??= entry.Holders.Find(h => h.Peer == peer).Address;
        }

        shards.Sort((a, b) => a.Id.CompareTo(b.Id));
        return new ProbeTarget(peer, address!, shards);
    }

    private void Unindex(PeerId peer, ShardId id)
    {
        if (_byHolder.TryGetValue(peer, out var set) && set.Remove(id) && set.Count == 0)
        {
            _byHolder.Remove(peer);
        }
    }

    private sealed class Entry(int size, List<(PeerId Peer, TransportAddress Address, DateTimeOffset Expiry)> holders)
    {
        public int Size { get; } = size;

        public List<(PeerId Peer, TransportAddress Address, DateTimeOffset Expiry)> Holders { get; } = holders;

        public Dictionary<PeerId, (SuspectReason Reason, DateTimeOffset Since)> Suspects { get; } = [];

        public bool Queued { get; set; }

        public DateTimeOffset? LastRepair { get; set; }
    }
}
