using Overlay.Crypto;

namespace Overlay.Placement.Trust;

/// <summary>
/// One node's own observations of the peers it dealt with, turned into local trust: s_ij = satisfactory −
/// unsatisfactory (EigenTrust §4.1), both counts decaying exponentially with a half-life, floored at zero,
/// and normalised per row into c_ij by <see cref="ToVector"/>. A peer the node never dealt with (or whose
/// evidence has decayed away) has no entry and no local trust: nothing is made up for it. Thread-safe.
/// </summary>
/// <remarks>
/// Decay makes recent behaviour count more than old: a peer that served well for a long time and then
/// turns bad, dealt with as often as before, loses all its local trust within one half-life (its decayed
/// good count halves while the bad count catches up with it). Uniform decay of a whole row changes nothing
/// after normalisation; only the relative age of observations matters.
/// </remarks>
public sealed class LocalTrustLedger
{
    // An entry whose two decayed counts are both below this (one observation after ten half-lives) is
    // forgotten: the peer is treated as never dealt with again.
    private const double ForgetBelow = 1.0 / 1024;

    private readonly Dictionary<PeerId, Entry> _entries = new();
    private readonly Lock _gate = new();
    private readonly double _halfLifeTicks;
    private readonly int _maxPeers;
    private long _forgotten;

    /// <summary>A ledger for node <paramref name="self"/>; observations lose half their weight every <paramref name="halfLife"/>.</summary>
    public LocalTrustLedger(PeerId self, TimeSpan halfLife, int maxPeers)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(halfLife, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPeers, 1);
        Self = self;
        _halfLifeTicks = halfLife.Ticks;
        _maxPeers = maxPeers;
    }

    /// <summary>A ledger with <see cref="PlacementOptions.LocalTrustHalfLife"/> and <see cref="PlacementOptions.MaxTrackedPeers"/>.</summary>
    public LocalTrustLedger(PeerId self, PlacementOptions options)
        : this(self, (options ?? throw new ArgumentNullException(nameof(options))).LocalTrustHalfLife, options.MaxTrackedPeers)
    {
    }

    /// <summary>The node whose observations these are; observations of itself are ignored.</summary>
    public PeerId Self { get; }

    /// <summary>Peers with an entry.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Entries dropped to stay within the peer limit (the least recently updated goes first).</summary>
    public long Forgotten => Interlocked.Read(ref _forgotten);

    /// <summary>
    /// Records one exchange with <paramref name="peer"/> at <paramref name="at"/>: satisfactory (it answered and
    /// the answer checked out) or not (timed out, refused, broke off, or answered wrongly). <paramref name="weight"/>
    /// lets heavier evidence count more, e.g. a failed storage audit; it is finite and positive. An observation
    /// older than the peer's last one is added with its own decay.
    /// </summary>
    public void Record(PeerId peer, bool satisfactory, DateTimeOffset at, double weight = 1)
    {
        if (!(weight > 0) || double.IsInfinity(weight))
        {
            throw new ArgumentOutOfRangeException(nameof(weight), weight, "An observation's weight is finite and positive.");
        }

        if (peer == Self)
        {
            return;
        }

        var ticks = at.UtcTicks;
        lock (_gate)
        {
            if (!_entries.TryGetValue(peer, out var entry))
            {
                if (_entries.Count >= _maxPeers)
                {
                    MakeRoom(ticks);
                }

                entry = new Entry(0, 0, ticks);
            }

            entry = ticks >= entry.UpdatedTicks ? entry.DecayedTo(ticks, _halfLifeTicks) : entry;
            var factor = ticks >= entry.UpdatedTicks ? 1 : Decay(entry.UpdatedTicks - ticks);
            entry = satisfactory
                ? entry with { Satisfactory = entry.Satisfactory + (weight * factor) }
                : entry with { Unsatisfactory = entry.Unsatisfactory + (weight * factor) };
            _entries[peer] = entry;
        }
    }

    /// <summary>s_ij at <paramref name="now"/>: decayed satisfactory minus unsatisfactory, floored at zero; 0 for a peer never dealt with.</summary>
    public double Score(PeerId peer, DateTimeOffset now)
    {
        lock (_gate)
        {
            return _entries.TryGetValue(peer, out var entry) ? entry.DecayedTo(now.UtcTicks, _halfLifeTicks).Score : 0;
        }
    }

    /// <summary>
    /// The decayed satisfactory and unsatisfactory counts of <paramref name="peer"/> at <paramref name="now"/>;
    /// false (both 0) for a peer never dealt with or forgotten.
    /// </summary>
    public bool TryGetCounts(PeerId peer, DateTimeOffset now, out double satisfactory, out double unsatisfactory)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(peer, out var entry))
            {
                satisfactory = unsatisfactory = 0;
                return false;
            }

            var decayed = entry.DecayedTo(now.UtcTicks, _halfLifeTicks);
            satisfactory = decayed.Satisfactory;
            unsatisfactory = decayed.Unsatisfactory;
            return true;
        }
    }

    /// <summary>True when the node has evidence about <paramref name="peer"/> that has not decayed away.</summary>
    public bool HasDealtWith(PeerId peer)
    {
        lock (_gate)
        {
            return _entries.ContainsKey(peer);
        }
    }

    /// <summary>
    /// The node's row c_i· at <paramref name="now"/>: the <paramref name="maxEntries"/> highest scores,
    /// normalised to sum 1. Evidence that has decayed away is forgotten first. Empty when no peer has a
    /// positive score.
    /// </summary>
    public LocalTrustVector ToVector(DateTimeOffset now, int maxEntries)
    {
        var scores = new List<KeyValuePair<PeerId, double>>();
        lock (_gate)
        {
            PruneLocked(now.UtcTicks);
            foreach (var (peer, entry) in _entries)
            {
                var score = entry.DecayedTo(now.UtcTicks, _halfLifeTicks).Score;
                if (score > 0)
                {
                    scores.Add(new(peer, score));
                }
            }
        }

        return LocalTrustVector.FromScores(Self, scores, maxEntries);
    }

    /// <summary>Forgets entries whose evidence has decayed away; returns how many.</summary>
    public int Prune(DateTimeOffset now)
    {
        lock (_gate)
        {
            return PruneLocked(now.UtcTicks);
        }
    }

    private int PruneLocked(long nowTicks)
    {
        List<PeerId>? stale = null;
        foreach (var (peer, entry) in _entries)
        {
            var decayed = entry.DecayedTo(nowTicks, _halfLifeTicks);
            if (decayed.Satisfactory < ForgetBelow && decayed.Unsatisfactory < ForgetBelow)
            {
                (stale ??= []).Add(peer);
            }
        }

        if (stale is null)
        {
            return 0;
        }

        foreach (var peer in stale)
        {
            _entries.Remove(peer);
        }

        return stale.Count;
    }

    private void MakeRoom(long nowTicks)
    {
        if (PruneLocked(nowTicks) > 0)
        {
            return;
        }

        // Full of live evidence: the peer dealt with least recently goes. A linear scan, but only when a new
        // peer arrives at a full ledger, and then the next arrivals usually find the decayed entries it left.
        var oldest = default(PeerId);
        var oldestTicks = long.MaxValue;
        foreach (var (peer, entry) in _entries)
        {
            if (entry.UpdatedTicks < oldestTicks)
            {
                oldestTicks = entry.UpdatedTicks;
                oldest = peer;
            }
        }

        _entries.Remove(oldest);
        Interlocked.Increment(ref _forgotten);
    }

    private double Decay(long elapsedTicks) => Math.Pow(2, -elapsedTicks / _halfLifeTicks);

    private readonly record struct Entry(double Satisfactory, double Unsatisfactory, long UpdatedTicks)
    {
        public double Score => Math.Max(0, Satisfactory - Unsatisfactory);

        public Entry DecayedTo(long ticks, double halfLifeTicks)
        {
            if (ticks <= UpdatedTicks)
            {
                return this;
            }

            var factor = Math.Pow(2, -(ticks - UpdatedTicks) / halfLifeTicks);
            return new Entry(Satisfactory * factor, Unsatisfactory * factor, ticks);
        }
    }
}
