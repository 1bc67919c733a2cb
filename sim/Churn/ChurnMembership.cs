using Overlay.Crypto;
using Overlay.Node.Composition;
using Overlay.Storage;
using Overlay.Transport;
using Overlay.Transport.InMemory;

namespace Overlay.Sim.Churn;

/// <summary>
/// Which node holds each slot of a <see cref="ChurnRun"/> now: its generation (how many nodes held the slot
/// before it), whether it is present, and when its Weibull session ends; and the crash that ends a session,
/// after which a new node with a new identity takes the slot. All on the network's one scheduler: no locks.
/// </summary>
internal sealed class ChurnMembership
{
    private readonly ChurnSettings _settings;
    private readonly WholeNodeNetwork _whole;
    private readonly InMemoryNetwork _net;
    private readonly Random _random;
    private readonly Random _keys;
    private readonly WeibullSessions _sessions;
    private readonly ChurnRepairs _repairs;
    private readonly int[] _generation;
    private readonly bool[] _present;
    private readonly DateTimeOffset[] _sessionEnd;

    /// <param name="random">The run's shared source: slots are drawn from it between the run's other draws.</param>
    /// <param name="repairs">Counts the repairs each node that joins runs while it holds its slot.</param>
    public ChurnMembership(ChurnSettings settings, WholeNodeNetwork whole, InMemoryNetwork net, Random random, ChurnRepairs repairs)
    {
        _settings = settings;
        _whole = whole;
        _net = net;
        _random = random;
        _repairs = repairs;
        _sessions = new WeibullSessions(settings.WeibullShape, settings.WeibullScale, new Random(settings.Seed + 2));
        _keys = new Random(settings.Seed + 3);
        _generation = new int[settings.Nodes];
        _present = new bool[settings.Nodes];
        _sessionEnd = new DateTimeOffset[settings.Nodes];
    }

    /// <summary>Nodes that crashed so far.</summary>
    public int Departures { get; private set; }

    public bool IsPresent(int slot) => _present[slot];

    /// <summary>How many nodes held slot <paramref name="slot"/> before the one that holds it now.</summary>
    public int Generation(int slot) => _generation[slot];

    /// <summary>Whether the node of <paramref name="generation"/> still holds slot <paramref name="slot"/> and is present.</summary>
    public bool OwnerPresent(int slot, int generation) => _generation[slot] == generation && _present[slot];

    /// <summary>Marks slot <paramref name="slot"/>'s node as present and counts the repairs it runs.</summary>
    public void Joined(int slot)
    {
        _present[slot] = true;
        var generation = _generation[slot];
        // A node that left may still end a repair while its loops stop: only present owners count.
        _repairs.Watch(_whole.Nodes[slot], () => OwnerPresent(slot, generation));
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
    /// lost); a new node with a new identity is built in the slot, not started, to join through a random
    /// present node, and its session is drawn. Returns the new node's generation.
    /// </summary>
    public int Replace(int slot)
    {
        var now = _net.Clock.GetUtcNow();
        var old = _whole.Nodes[slot];
        _whole.Transports[slot].Kill();
        _present[slot] = false;
        Departures++;
        _ = StopQuietlyAsync(old);
        var generation = ++_generation[slot];
        var through = RandomJoinedSlot(s => s != slot);
        _whole.Build(slot, NodeIdentity.FromRandom(_keys), _whole.Nodes[through].Transport.LocalAddresses[0].ToString(), generation);
        _sessionEnd[slot] = now + _sessions.Next();
        return generation;
    }

    /// <summary>A random slot whose node is present, has joined, and is <paramref name="eligible"/>.</summary>
    public int RandomJoinedSlot(Func<int, bool> eligible)
    {
        while (true)
        {
            var slot = _random.Next(_settings.Nodes);
            if (eligible(slot) && _present[slot] && _whole.Nodes[slot].Dht.Joined)
            {
                return slot;
            }
        }
    }

    /// <summary>The store of slot <paramref name="slot"/>'s node; null while a node that has just taken the slot has not opened it.</summary>
    public IShardStore? StoreOf(int slot)
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

    private static async Task StopQuietlyAsync(OverlayNode node)
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
