using Overlay.Crypto;
using Overlay.Placement.Trust;
using Overlay.Sim.Trust;
using Overlay.Storage;

namespace Overlay.Sim.Churn;

/// <summary>
/// The malicious slots of a <see cref="ChurnRun"/> (called droppers: every one but a spy deletes the shards
/// it acknowledged), the ids of every node that held one, and what they do: delete what they keep and sign
/// the trust rows their threat model scripts. All on the network's one scheduler: no locks.
/// </summary>
internal sealed class MaliciousNodes
{
    private readonly ChurnSettings _settings;
    private readonly WholeNodeNetwork _whole;
    private readonly ChurnMembership _membership;
    private readonly Random _random;
    private readonly bool[] _dropper;
    private readonly bool[] _spy;
    private readonly HashSet<PeerId> _dropperIds = [];
    private readonly HashSet<PeerId> _spyIds = [];

    /// <param name="random">The run's shared source: members and model A's rows are drawn from it between the run's other draws.</param>
    public MaliciousNodes(ChurnSettings settings, WholeNodeNetwork whole, ChurnMembership membership, Random random)
    {
        _settings = settings;
        _whole = whole;
        _membership = membership;
        _random = random;
        _dropper = new bool[settings.Nodes];
        _spy = new bool[settings.Nodes];
    }

    /// <summary>Whether the seed's draw put node 0 among the malicious nodes (before it is kept honest or made one).</summary>
    public bool BootstrapDrawn { get; private set; }

    /// <summary>What node 0, the bootstrap peer every node pre-trusts, is in this run.</summary>
    public string BootstrapRole => (!_dropper[0] ? "honest" : _spy[0] ? "malicious, a spy (keeps its shards)" : "malicious, deletes shards")
        + (BootstrapDrawn ? " (the seed drew it malicious)" : " (the seed drew it honest)");

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

    /// <summary>Whether slot <paramref name="slot"/> is malicious (a spy's included), whichever node holds it.</summary>
    public bool IsDropperSlot(int slot) => _dropper[slot];

    /// <summary>Whether <paramref name="peer"/> is a malicious node (spies included).</summary>
    public bool IsMalicious(PeerId peer) => _dropperIds.Contains(peer);

    /// <summary>Whether <paramref name="peer"/> is a malicious node that deletes what it keeps (not a spy).</summary>
    public bool Deletes(PeerId peer) => _dropperIds.Contains(peer) && !_spyIds.Contains(peer);

    /// <summary>A new node has taken slot <paramref name="slot"/>: a malicious slot makes it malicious too.</summary>
    public void Took(int slot)
    {
        if (_dropper[slot])
        {
            _dropperIds.Add(_whole.Nodes[slot].Id);
        }
    }

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
            if (!_membership.IsPresent(i))
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
            if (!_dropper[i] || !_membership.IsPresent(i))
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

    /// <summary>Every present dropper deletes every shard it keeps, without a word to its owners.</summary>
    public async Task DropAsync()
    {
        for (var i = 0; i < _dropper.Length; i++)
        {
            if (!_dropper[i] || _spy[i] || !_membership.IsPresent(i) || _membership.StoreOf(i) is not { } store)
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

    private bool Keeps(PeerId node, ShardId id)
    {
        Span<byte> bytes = stackalloc byte[ShardId.Size];
        Span<byte> peer = stackalloc byte[PeerId.Size];
        id.WriteTo(bytes);
        node.WriteTo(peer);
        var mixed = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes) ^ System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(peer);
        return (mixed % 10_000) < _settings.Camouflage * 10_000;
    }
}
