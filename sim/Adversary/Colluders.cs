using Overlay.Crypto;
using Overlay.Dht;

namespace Overlay.Sim.Adversary;

/// <summary>
/// What the adversary's nodes share: every malicious node's id and address (they coordinate perfectly, as
/// one operator's nodes would), the Sybils it keeps next to each attacked key, and the honest records it
/// captured from STOREs, to replay later.
/// </summary>
internal sealed class Colluders
{
    private readonly List<DhtPeer> _peers = [];
    private readonly Dictionary<PeerId, List<DhtPeer>> _sybils = [];
    private readonly Dictionary<PeerId, Dht.Records.DhtRecord> _captured = [];
    private readonly Dictionary<PeerId, Dht.Records.DhtRecord> _forged = [];

    /// <summary>Malicious nodes known so far.</summary>
    public int Count => _peers.Count;

    /// <summary>Answers that lied (FIND_NODE, FIND_VALUE), and STOREs swallowed.</summary>
    public long Lies { get; set; }

    /// <summary>Values answered with a stale (replayed) or forged record.</summary>
    public long BadValues { get; set; }

    public void Add(DhtPeer peer) => _peers.Add(peer);

    /// <summary>Registers <paramref name="sybil"/> as one of the Sybils next to <paramref name="key"/>.</summary>
    public void AddSybil(PeerId key, DhtPeer sybil)
    {
        if (!_sybils.TryGetValue(key, out var list))
        {
            _sybils[key] = list = [];
        }

        list.Add(sybil);
    }

    /// <summary>
    /// What malicious node number <paramref name="responder"/> names for <paramref name="target"/>: for an
    /// attacked key, k of its Sybils (each responder its own share of them, so that a lookup path taken over
    /// by one responder does not hand the same Sybils to every other path), closest first; for any other
    /// target, the k malicious nodes closest to it.
    /// </summary>
    public DhtPeer[] Answer(int responder, PeerId target, int k)
    {
        if (!_sybils.TryGetValue(target, out var sybils))
        {
            return ClosestTo(target, k);
        }

        var n = Math.Min(k, sybils.Count);
        var answer = new DhtPeer[n];
        var start = (int)((uint)responder * 2654435761u % (uint)sybils.Count);
        for (var i = 0; i < n; i++)
        {
            answer[i] = sybils[(start + i) % sybils.Count];
        }

        Array.Sort(answer, (a, b) => a.Id.Xor(target).CompareTo(b.Id.Xor(target)));
        return answer;
    }

    /// <summary>
    /// The <paramref name="count"/> malicious nodes closest to <paramref name="target"/>, closest first:
    /// an eclipse answer, sorted as an honest one is so that no format check can tell it apart.
    /// </summary>
    public DhtPeer[] ClosestTo(PeerId target, int count)
    {
        var n = Math.Min(count, _peers.Count);
        var best = new DhtPeer[n];
        var distances = new PeerId[n];
        var filled = 0;
        foreach (var p in _peers)
        {
            var d = p.Id.Xor(target);
            if (filled == n && d >= distances[n - 1])
            {
                continue;
            }

            var pos = filled < n ? filled : n - 1;
            while (pos > 0 && distances[pos - 1] > d)
            {
                distances[pos] = distances[pos - 1];
                best[pos] = best[pos - 1];
                pos--;
            }

            distances[pos] = d;
            best[pos] = p;
            filled = Math.Min(n, filled + 1);
        }

        return best;
    }

    /// <summary>Keeps the first version of a record any malicious node was asked to store: later it is stale.</summary>
    public void Capture(Dht.Records.DhtRecord record) => _captured.TryAdd(record.Key, record);

    public Dht.Records.DhtRecord? Captured(PeerId key) => _captured.GetValueOrDefault(key);

    /// <summary>The adversary's own record under <paramref name="key"/>, signed once and served by every malicious node.</summary>
    public Dht.Records.DhtRecord Forged(PeerId key, Func<PeerId, Dht.Records.DhtRecord> forge)
    {
        if (!_forged.TryGetValue(key, out var record))
        {
            record = forge(key);
            _forged.Add(key, record);
        }

        return record;
    }
}
