using Overlay.Crypto;
using Overlay.Node.Shards;
using Overlay.Placement.Trust;
using Overlay.Sim.Trust;
using Overlay.Storage;
using Overlay.Transport;
using Overlay.Transport.InMemory;

namespace Overlay.Sim.Churn;

/// <summary>
/// The network's membership during a <see cref="ChurnRun"/>: which node holds each slot now (its
/// generation), whose session ends when, which slots are droppers, the shards placed and who owns them,
/// and what the owners' repairs have moved. All on the network's one scheduler: no locks.
/// </summary>
internal sealed class ChurnState
{
    private readonly ChurnSettings _settings;
    private readonly WholeNodeNetwork _whole;
    private readonly InMemoryNetwork _net;
    private readonly Random _random;
    private readonly Random _keys;
    private readonly WeibullSessions _sessions;
    private readonly int[] _generation;
    private readonly bool[] _present;
    private readonly bool[] _dropper;
    private readonly bool[] _spy;
    private readonly DateTimeOffset[] _sessionEnd;
    private readonly HashSet<PeerId> _dropperIds = [];
    private readonly HashSet<PeerId> _spyIds = [];

    public ChurnState(ChurnSettings settings, WholeNodeNetwork whole, InMemoryNetwork net)
    {
        _settings = settings;
        _whole = whole;
        _net = net;
        _random = new Random(settings.Seed + 1);
        _sessions = new WeibullSessions(settings.WeibullShape, settings.WeibullScale, new Random(settings.Seed + 2));
        _keys = new Random(settings.Seed + 3);
        _generation = new int[settings.Nodes];
        _present = new bool[settings.Nodes];
        _dropper = new bool[settings.Nodes];
        _spy = new bool[settings.Nodes];
        _sessionEnd = new DateTimeOffset[settings.Nodes];
    }

    /// <summary>Every shard placed: its id, and the slot and generation of the node that owns it.</summary>
    public List<(ShardId Id, int Slot, int Generation)> Tracked { get; } = [];

    public int Departures { get; private set; }

    public int Repairs { get; private set; }

    public int NewHolders { get; private set; }

    public long RepairBytes { get; private set; }

    public int PlacedByJoiners { get; private set; }

    public int FailedPlacements { get; private set; }

    /// <summary>Holders of the shards placed at samples while counted (<see cref="PlaceMeasuredAsync"/>), on malicious nodes, and on those of them that drop.</summary>
    public (int Holders, int OnMalicious, int OnDroppers) Measured { get; private set; }

    /// <summary>Marks slot <paramref name="slot"/>'s node as present and counts the repairs it runs.</summary>
    public void Joined(int slot)
    {
        _present[slot] = true;
        var generation = _generation[slot];
        _whole.Nodes[slot].ShardMaintenance.RepairObserved = r =>
        {
            // A node that left may still end a repair while its loops stop: only present owners count.
            if (_generation[slot] == generation && _present[slot])
            {
                Repairs++;
                NewHolders += r.Result.Added;
                RepairBytes += r.Result.BytesMoved;
            }
        };
    }

    public void ChooseDroppers()
    {
        var count = (int)Math.Round(_settings.Nodes * _settings.Droppers);
        var order = Enumerable.Range(0, _settings.Nodes).OrderBy(_ => _random.Next()).ToList();
        // Node 0 is everyone's bootstrap peer and pre-trusted: honest unless the run asks for the malicious-bootstrap
        // case, where it is a member (the lowest slot, so in D a spy). The others keep the order drawn, so a seed that drew
        // node 0 honest draws the same members either way.
        BootstrapDrawn = order.IndexOf(0) < count;
        order.Remove(0);
        if (_settings.MaliciousBootstrap)
        {
            order.Insert(0, 0);
        }

        var chosen = order.Take(count).Order().ToList();
        var spies = _settings.Model == ThreatModel.D ? (int)Math.Round(count * _settings.SpyShare) : 0;
        foreach (var slot in chosen)
        {
            _dropper[slot] = true;
            _dropperIds.Add(_whole.Nodes[slot].Id);
            // The lowest slots among the members are D's spies: malicious, but they keep every shard.
            _spy[slot] = spies-- > 0;
            if (_spy[slot])
            {
                _spyIds.Add(_whole.Nodes[slot].Id);
            }
        }
    }

    /// <summary>Whether the seed's draw put node 0 among the malicious nodes (before it is kept honest or made one).</summary>
    public bool BootstrapDrawn { get; private set; }

    /// <summary>What node 0, the bootstrap peer every node pre-trusts, is in this run.</summary>
    public string BootstrapRole => (!_dropper[0] ? "honest" : _spy[0] ? "malicious, a spy (keeps its shards)" : "malicious, deletes shards")
        + (BootstrapDrawn ? " (the seed drew it malicious)" : " (the seed drew it honest)");

    /// <summary>Whether <paramref name="peer"/> is a malicious node (spies included).</summary>
    public bool IsMalicious(PeerId peer) => _dropperIds.Contains(peer);

    /// <summary>
    /// Every present malicious node signs the row its model scripts and makes it the record it serves over
    /// <c>trust/1</c>, issued now (the node's own row, signed hourly, does not replace it within the hour).
    /// </summary>
    public void PublishRows(DateTimeOffset now)
    {
        if (_settings.Model is not { } model)
        {
            return;
        }

        var members = new List<PeerId>();
        var droppers = new List<PeerId>();
        var everyone = new List<PeerId>();
        for (var i = 0; i < _dropper.Length; i++)
        {
            if (!_present[i])
            {
                continue;
            }

            everyone.Add(_whole.Nodes[i].Id);
            if (_dropper[i])
            {
                members.Add(_whole.Nodes[i].Id);
                if (!_spy[i])
                {
                    droppers.Add(_whole.Nodes[i].Id);
                }
            }
        }

        for (var i = 0; i < _dropper.Length; i++)
        {
            if (!_dropper[i] || !_present[i])
            {
                continue;
            }

            var node = _whole.Nodes[i];
            IEnumerable<PeerId> named = model switch
            {
                ThreatModel.A => everyone.OrderBy(_ => _random.Next()).Take(20),
                ThreatModel.D => droppers,
                _ => members,
            };
            var row = LocalTrustVector.FromScores(node.Id, named.Select(p => new KeyValuePair<PeerId, double>(p, 1)), node.Trust.Options.MaxRecordEntries);
            var identity = _whole.Identities[i];
            node.Trust.Records.Publish(TrustRecord.Sign(identity, now, row), identity.PublicKey);
        }
    }

    /// <summary>Places <paramref name="count"/> shards from random honest owners; when <paramref name="counted"/>, counts where their holders are.</summary>
    public async Task PlaceMeasuredAsync(int count, bool counted)
    {
        var puts = new List<Task<PutOutcome?>>();
        for (var k = 0; k < count; k++)
        {
            puts.Add(PlaceAsync(RandomHonestSlot()));
        }

        foreach (var put in await Task.WhenAll(puts))
        {
            if (!counted || put is null)
            {
                continue;
            }

            var (holders, onMalicious, onDroppers) = Measured;
            foreach (var holder in put.Holders)
            {
                holders++;
                if (_dropperIds.Contains(holder.Peer))
                {
                    onMalicious++;
                    onDroppers += _spyIds.Contains(holder.Peer) ? 0 : 1;
                }
            }

            Measured = (holders, onMalicious, onDroppers);
        }
    }

    /// <summary>Every holding present owners' books list (to set <see cref="DropperHoldings"/> against).</summary>
    public (int All, int Busiest) AllHoldings()
    {
        var perHolder = new Dictionary<PeerId, int>();
        var count = 0;
        foreach (var (id, slot, generation) in Tracked)
        {
            if (OwnerPresent(slot, generation) && _whole.Nodes[slot].ShardExchange.Owner!.Status(id) is { } book)
            {
                count += book.Holders.Count;
                foreach (var holder in book.Holders)
                {
                    perHolder[holder.Peer] = perHolder.GetValueOrDefault(holder.Peer) + 1;
                }
            }
        }

        return (count, perHolder.Count == 0 ? 0 : perHolder.Values.Max());
    }

    public int RandomHonestSlot()
    {
        while (true)
        {
            var slot = _random.Next(_settings.Nodes);
            if (_present[slot] && !_dropper[slot] && _whole.Nodes[slot].Dht.Joined)
            {
                return slot;
            }
        }
    }

    /// <summary>Places one shard of fresh random bytes from slot <paramref name="slot"/>'s node.</summary>
    public async Task<PutOutcome?> PlaceAsync(int slot)
    {
        var generation = _generation[slot];
        var data = new byte[_settings.ShardBytes];
        _random.NextBytes(data);
        try
        {
            var outcome = await _whole.Nodes[slot].ShardExchange.Owner!.PutAsync(data, CancellationToken.None);
            Tracked.Add((outcome.Id, slot, generation));
            return outcome;
        }
        catch (ShardExchangeException)
        {
            FailedPlacements++;
            return null;
        }
    }

    /// <summary>
    /// Draws each slot's sessions from long before <paramref name="begin"/>, one after another, and keeps
    /// the one running at <paramref name="begin"/>: the run starts in the steady state, where long sessions
    /// are over-represented among the nodes present, rather than with every session fresh (which would
    /// start with a burst of short ones).
    /// </summary>
    public void Begin(DateTimeOffset begin)
    {
        var warmUp = _settings.WeibullScale * 200;
        for (var i = 0; i < _sessionEnd.Length; i++)
        {
            var end = begin - warmUp;
            while (end <= begin)
            {
                end += _sessions.Next();
            }

            _sessionEnd[i] = end;
        }
    }

    /// <summary>The slots whose node's session has ended by <paramref name="now"/>, in slot order.</summary>
    public List<int> SessionsEnded(DateTimeOffset now)
    {
        var ended = new List<int>();
        for (var i = 0; i < _sessionEnd.Length; i++)
        {
            if (_present[i] && _sessionEnd[i] <= now)
            {
                ended.Add(i);
            }
        }

        return ended;
    }

    /// <summary>
    /// The node in <paramref name="slot"/> crashes (its connections drop, its loops stop, its memory is
    /// lost); a new node with a new identity takes the slot at once, joins through a random present node,
    /// and, unless the slot is a dropper's, places <paramref name="shards"/> shards of its own.
    /// </summary>
    public async Task ReplaceAsync(int slot, int shards)
    {
        var now = _net.Clock.GetUtcNow();
        var old = _whole.Nodes[slot];
        _whole.Transports[slot].Kill();
        _present[slot] = false;
        Departures++;
        _ = StopQuietlyAsync(old);
        var generation = ++_generation[slot];
        var through = RandomJoinedSlot(except: slot);
        _whole.Build(slot, NodeIdentity.FromRandom(_keys), _whole.Nodes[through].Transport.LocalAddresses[0].ToString(), generation);
        if (_dropper[slot])
        {
            _dropperIds.Add(_whole.Nodes[slot].Id);
        }

        _sessionEnd[slot] = now + _sessions.Next();
        Joined(slot);
        var node = _whole.Nodes[slot];
        await node.StartAsync(CancellationToken.None);
        await node.Dht.WhenJoined;
        for (var k = 0; k < shards && !_dropper[slot] && _generation[slot] == generation; k++)
        {
            await PlaceAsync(slot);
            PlacedByJoiners++;
        }
    }

    /// <summary>Every present dropper deletes every shard it keeps, without a word to its owners.</summary>
    public async Task DropAsync()
    {
        for (var i = 0; i < _dropper.Length; i++)
        {
            if (!_dropper[i] || _spy[i] || !_present[i] || StoreOf(i) is not { } store)
            {
                continue;
            }

            var held = new List<ShardId>();
            await foreach (var info in store.EnumerateAsync())
            {
                // Model C keeps a share of its shards for good: which ones is a function of the shard and the node.
                if (_settings.Model != ThreatModel.C || !Keeps(_whole.Nodes[i].Id, info.Id))
                {
                    held.Add(info.Id);
                }
            }

            foreach (var id in held)
            {
                await store.DeleteAsync(id);
            }
        }
    }

    public async Task<ChurnSample> SampleAsync(TimeSpan at)
    {
        var kept = new HashSet<ShardId>();
        var present = 0;
        for (var i = 0; i < _present.Length; i++)
        {
            if (!_present[i])
            {
                continue;
            }

            present++;
            if (StoreOf(i) is { } store)
            {
                await foreach (var info in store.EnumerateAsync())
                {
                    kept.Add(info.Id);
                }
            }
        }

        int owned = 0, ownedKept = 0, allKept = 0;
        var candidates = new List<(ShardId Id, int Slot, int Generation)>();
        foreach (var shard in Tracked)
        {
            var isKept = kept.Contains(shard.Id);
            allKept += isKept ? 1 : 0;
            if (OwnerPresent(shard.Slot, shard.Generation))
            {
                owned++;
                ownedKept += isKept ? 1 : 0;
                candidates.Add(shard);
            }
        }

        // A random subset (partial Fisher–Yates) fetched together, each by a random present node that is not its owner.
        var picks = Math.Min(_settings.FetchesPerSample, candidates.Count);
        for (var k = 0; k < picks; k++)
        {
            var j = k + _random.Next(candidates.Count - k);
            (candidates[k], candidates[j]) = (candidates[j], candidates[k]);
        }

        var fetches = candidates.Take(picks).Select(c => FetchAsync(c.Id, RandomJoinedSlot(except: c.Slot))).ToList();
        var fetched = (await Task.WhenAll(fetches)).Count(ok => ok);
        return new ChurnSample(at, present, Departures, owned, ownedKept, Tracked.Count, allKept, picks, fetched, Repairs, RepairBytes, _net.BytesDelivered, DropperHoldings());
    }

    /// <summary>Holdings in present owners' books that name a dropper (with <paramref name="spies"/> false, one that deletes): what the owners still believe droppers keep for them.</summary>
    public int DropperHoldings(bool spies = true)
    {
        var count = 0;
        foreach (var (id, slot, generation) in Tracked)
        {
            if (OwnerPresent(slot, generation) && _whole.Nodes[slot].ShardExchange.Owner!.Status(id) is { } book)
            {
                count += book.Holders.Count(h => _dropperIds.Contains(h.Peer) && (spies || !_spyIds.Contains(h.Peer)));
            }
        }

        return count;
    }

    /// <summary>Each present honest owner's trust (recomputed now) in the droppers and in the honest peers it rates, averaged over owners.</summary>
    public TrustView TrustOfDroppers()
    {
        double dropperSum = 0, honestSum = 0;
        int owners = 0, lower = 0, preTrusting = 0;
        var owning = Tracked.Where(t => OwnerPresent(t.Slot, t.Generation)).Select(t => t.Slot).ToHashSet();
        foreach (var slot in owning.Order())
        {
            var node = _whole.Nodes[slot];
            var snapshot = node.Trust.Recompute();
            var droppers = new List<double>();
            var honest = new List<double>();
            for (var k = 0; k < snapshot.Count; k++)
            {
                var peer = snapshot.Peers[k];
                if (peer == node.Id)
                {
                    continue;
                }

                (_dropperIds.Contains(peer) ? droppers : honest).Add(snapshot.Values[k]);
            }

            if (droppers.Count == 0 || honest.Count == 0)
            {
                continue;
            }

            owners++;
            preTrusting += node.Trust.PreTrustedInUse > 0 ? 1 : 0;
            dropperSum += droppers.Average();
            honestSum += honest.Average();
            lower += droppers.Average() < honest.Average() ? 1 : 0;
        }

        return new TrustView(owners == 0 ? 0 : dropperSum / owners, owners == 0 ? 0 : honestSum / owners, owners, lower, preTrusting);
    }

    /// <summary>The store of slot <paramref name="slot"/>'s node; null while a node that has just taken the slot has not opened it.</summary>
    private IShardStore? StoreOf(int slot)
    {
        try
        {
            return _whole.Nodes[slot].ShardStore.Store;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private bool Keeps(PeerId node, ShardId id)
    {
        Span<byte> bytes = stackalloc byte[ShardId.Size];
        Span<byte> peer = stackalloc byte[PeerId.Size];
        id.WriteTo(bytes);
        node.WriteTo(peer);
        var mixed = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes) ^ System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(peer);
        return (mixed % 10_000) < _settings.Camouflage * 10_000;
    }

    private bool OwnerPresent(int slot, int generation) => _generation[slot] == generation && _present[slot];

    private int RandomJoinedSlot(int except)
    {
        while (true)
        {
            var slot = _random.Next(_settings.Nodes);
            if (slot != except && _present[slot] && _whole.Nodes[slot].Dht.Joined)
            {
                return slot;
            }
        }
    }

    private async Task<bool> FetchAsync(ShardId id, int reader)
    {
        try
        {
            var (bytes, _) = await _whole.Nodes[reader].ShardExchange.Owner!.GetAsync(id, CancellationToken.None);
            return ShardId.Compute(bytes) == id;
        }
        catch (Exception e) when (e is ShardExchangeException or TransportException)
        {
            return false;
        }
    }

    private static async Task StopQuietlyAsync(Overlay.Node.Composition.OverlayNode node)
    {
        try
        {
            await node.StopAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is TransportException or ObjectDisposedException or InvalidOperationException or StorageException)
        {
            // A crashed node's parts may fail as they stop; nothing of it is measured any more.
        }
    }
}
