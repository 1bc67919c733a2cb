using Overlay.Crypto;

namespace Overlay.Dht.Lookup;

/// <summary>
/// An iterative Kademlia node lookup (§2.3) as a pure state machine: it says whom to query next and
/// is told what came back; the caller sends the requests, runs the timeouts and reports failures.
/// This class is the policy (α per path, the final phase, slow peers, termination); the candidates it
/// chooses among, sorted by distance per path, are kept by <see cref="LookupCandidates"/>.
/// <para>
/// Termination: each path stops when the k closest non-failed candidates it knows have all answered.
/// The result is always the k closest peers, over all paths, that answered. Query order never enters
/// that definition, so preferring fast peers changes how quickly the lookup ends, not what counts as
/// its answer.
/// </para>
/// <para>
/// Latency preference: among the not-yet-queried candidates inside a path's current k-closest window,
/// the ones whose common-prefix length with the target equals that of the closest such candidate are
/// equally useful for progress — each offers the same prefix band, and Kademlia's expected progress per
/// hop is one band. Among those the lowest predicted latency goes first.
/// </para>
/// <para>
/// Final phase (Kademlia §2.3): once answers on a path bring no peer closer than the closest it already
/// knew (the paper waits for a round of α; the number is a parameter), the path stops holding back and asks every unqueried candidate in its k-closest
/// window at once (and any that enters the window later), instead of α at a time.
/// </para>
/// <para>
/// Slow peers: the caller may report that a request has taken longer than expected
/// (<see cref="OnSlow"/>: its α slot goes to the next candidate, the request still counts as awaited)
/// and later that it has stopped waiting for it (<see cref="OnGaveUp"/>: the peer then counts as
/// failed for the window and for termination, unless nobody on its path has answered yet, and an answer
/// that still arrives is taken as any other).
/// </para>
/// <para>
/// S/Kademlia disjoint paths (§4.4): seeds are dealt round-robin to d paths, each path keeps its own
/// candidates and its own α in flight, and a peer already known to one path is never added to another,
/// so no node is queried by two paths.
/// </para>
/// </summary>
public sealed class LookupState
{
    private readonly int _k;
    private readonly int _alpha;
    private readonly bool _preferLowLatency;
    private readonly int _finalPhaseAfter;
    private readonly LookupCandidates _candidates;
    private readonly int[] _pathInFlight;
    private readonly bool[] _pathDone;
    private readonly bool[] _pathFinal;
    private readonly int[] _pathIdle;
    private int _nextSeedPath;
    private int _nextPath;

    /// <summary>Starts a lookup for <paramref name="target"/> with the given parameters.</summary>
    /// <param name="target">The key looked up.</param>
    /// <param name="self">The local id: never queried, never in the result.</param>
    /// <param name="k">Result size (1..256).</param>
    /// <param name="alpha">Requests in flight per path (≥ 1).</param>
    /// <param name="disjointPaths">S/Kademlia d; 0 or 1 for one path.</param>
    /// <param name="preferLowLatency">Order equally useful candidates by predicted latency.</param>
    /// <param name="finalPhaseAfter">
    /// Answers in a row that bring nothing closer after which a path asks its whole k-closest window at once
    /// (Kademlia's final phase; the paper waits for a round, α answers); 0 never.
    /// </param>
    public LookupState(PeerId target, PeerId self, int k, int alpha, int disjointPaths, bool preferLowLatency, int finalPhaseAfter = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(alpha, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(disjointPaths);
        Target = target;
        _k = k;
        _alpha = alpha;
        _preferLowLatency = preferLowLatency;
        ArgumentOutOfRangeException.ThrowIfNegative(finalPhaseAfter);
        _finalPhaseAfter = finalPhaseAfter;
        PathCount = Math.Max(1, disjointPaths);
        _candidates = new LookupCandidates(target, self, PathCount);
        _pathInFlight = new int[PathCount];
        _pathDone = new bool[PathCount];
        _pathFinal = new bool[PathCount];
        _pathIdle = new int[PathCount];
    }

    /// <summary>Starts a lookup with K, Alpha (per path), DisjointPaths, PreferLowLatency and the final phase from <paramref name="options"/>.</summary>
    public LookupState(PeerId target, PeerId self, DhtOptions options)
        : this(target, self, options?.K ?? throw new ArgumentNullException(nameof(options)), options.AlphaPerPath, options.DisjointPaths, options.PreferLowLatency, options.LookupFinalPhaseAfter)
    {
    }

    /// <summary>The key looked up.</summary>
    public PeerId Target { get; }

    /// <summary>Number of lookup paths (1 unless disjoint paths are on).</summary>
    public int PathCount { get; }

    /// <summary>Requests handed out and not yet answered or failed (including those no longer awaited).</summary>
    public int InFlight { get; private set; }

    /// <summary>Requests handed out so far.</summary>
    public int RequestsSent { get; private set; }

    /// <summary>Answers received so far.</summary>
    public int Responses { get; private set; }

    /// <summary>Failures reported so far.</summary>
    public int Failures { get; private set; }

    /// <summary>Every path has heard from its k closest live candidates (or has none left).</summary>
    public bool IsFinished
    {
        get
        {
            for (var p = 0; p < PathCount; p++)
            {
                if (!_pathDone[p])
                {
                    return false;
                }
            }

            return true;
        }
    }

    /// <summary>Adds starting candidates, normally the local table's closest contacts, dealt round-robin to the paths.</summary>
    public void AddSeeds(ReadOnlySpan<LookupPeer> seeds)
    {
        foreach (var s in seeds)
        {
            if (_candidates.TryAdd(s, _nextSeedPath, depth: 1, out _))
            {
                _nextSeedPath = (_nextSeedPath + 1) % PathCount;
            }
        }

        UpdateAllDone();
    }

    /// <summary>Paths in their final phase (asking their whole k-closest window at once).</summary>
    public int FinalPaths
    {
        get
        {
            var n = 0;
            for (var p = 0; p < PathCount; p++)
            {
                n += _pathFinal[p] ? 1 : 0;
            }

            return n;
        }
    }

    /// <summary>
    /// The next request to send, if a path has room under α (or is in its final phase) and an unqueried
    /// candidate in its k-closest window. Call until it returns false, then wait for an answer or a timeout.
    /// </summary>
    public bool TryGetNextRequest(out LookupRequest request)
    {
        for (var attempt = 0; attempt < PathCount; attempt++)
        {
            var p = _nextPath;
            _nextPath = (_nextPath + 1) % PathCount;
            if (_pathDone[p] || (!_pathFinal[p] && _pathInFlight[p] >= _alpha))
            {
                continue;
            }

            var pick = PickCandidate(p);
            if (pick < 0)
            {
                continue;
            }

            ref var e = ref _candidates[pick];
            e.State = LookupCandidateState.InFlight;
            _pathInFlight[p]++;
            InFlight++;
            RequestsSent++;
            request = new LookupRequest(e.Id, p);
            return true;
        }

        request = default;
        return false;
    }

    /// <summary>
    /// Reports <paramref name="from"/>'s answer: the peers it returned as closest to the target. Answers
    /// from peers that were not asked, or already reported, are ignored; a late answer from a peer given
    /// up on (<see cref="OnGaveUp"/>) is taken.
    /// </summary>
    public void OnResponse(PeerId from, ReadOnlySpan<LookupPeer> closer)
    {
        if (!TryEndRequest(from, out var i))
        {
            return;
        }

        ref var e = ref _candidates[i];
        e.State = LookupCandidateState.Answered;
        var path = e.Path;
        var depth = e.Depth + 1;
        Responses++;
        var closestBefore = _candidates.ClosestLive(path);
        var improved = false;
        foreach (var peer in closer)
        {
            if (_candidates.TryAdd(peer, path, depth, out var added)
                && (closestBefore < 0 || _candidates[added].Distance < _candidates[closestBefore].Distance))
            {
                improved = true;
            }
        }

        // Kademlia §2.3: answers that bring nothing closer than the closest already seen end the
        // α-at-a-time phase of this path.
        _pathIdle[path] = improved ? 0 : _pathIdle[path] + 1;
        if (_finalPhaseAfter > 0 && _pathIdle[path] >= _finalPhaseAfter)
        {
            _pathFinal[path] = true;
        }

        _pathDone[path] = IsPathDone(path);
    }

    /// <summary>Reports that the request to <paramref name="peer"/> failed (timeout, refusal, bad answer).</summary>
    public void OnFailure(PeerId peer)
    {
        if (!TryEndRequest(peer, out var i))
        {
            return;
        }

        ref var e = ref _candidates[i];
        e.State = LookupCandidateState.Failed;
        Failures++;
        _pathDone[e.Path] = IsPathDone(e.Path);
    }

    /// <summary>
    /// Reports that the request to <paramref name="peer"/> has taken longer than expected: its α slot goes
    /// to the next candidate (hedging), while the lookup still waits for its answer. Returns false when
    /// the request is not in flight or was already reported slow.
    /// </summary>
    public bool OnSlow(PeerId peer)
    {
        if (!_candidates.TryFind(peer, out var i) || _candidates[i].State != LookupCandidateState.InFlight || _candidates[i].Slow)
        {
            return false;
        }

        _candidates[i].Slow = true;
        _pathInFlight[_candidates[i].Path]--;
        return true;
    }

    /// <summary>
    /// Reports that the lookup no longer waits for <paramref name="peer"/>: it counts as failed for the
    /// path's window and for termination, so a dead peer cannot hold the lookup until the request
    /// timeout once others have answered (a path with no answer yet still waits for it). The request
    /// itself may still be answered; <see cref="OnResponse"/> then takes the answer.
    /// Returns false when the request is not in flight.
    /// </summary>
    public bool OnGaveUp(PeerId peer)
    {
        if (!_candidates.TryFind(peer, out var i) || _candidates[i].State != LookupCandidateState.InFlight)
        {
            return false;
        }

        ref var e = ref _candidates[i];
        if (!e.Slow)
        {
            e.Slow = true;
            _pathInFlight[e.Path]--;
        }

        e.State = LookupCandidateState.GaveUp;
        _pathDone[e.Path] = IsPathDone(e.Path);
        return true;
    }

    // Ends an outstanding request (in flight or given up on) and frees its α slot if it held one.
    private bool TryEndRequest(PeerId peer, out int i)
    {
        if (!_candidates.TryFind(peer, out i) || _candidates[i].State is not (LookupCandidateState.InFlight or LookupCandidateState.GaveUp))
        {
            return false;
        }

        ref var e = ref _candidates[i];
        if (!e.Slow)
        {
            _pathInFlight[e.Path]--;
        }

        e.Slow = false;
        InFlight--;
        return true;
    }

    /// <summary>
    /// Writes the closest peers that answered, closest first, and returns how many (at most k and at most
    /// the destination's length). Valid at any time; final once <see cref="IsFinished"/>.
    /// </summary>
    public int CopyResult(Span<PeerId> destination) => _candidates.CopyAnswered(destination, Math.Min(_k, destination.Length));

    /// <summary>
    /// Hops of the lookup: the depth at which the closest answering peer was found (a seed is depth 1,
    /// a peer learned from a seed depth 2, …). 0 when nobody answered.
    /// </summary>
    public int Hops => _candidates.ClosestAnsweredDepth();

    // The candidate a path asks next: the closest pending one inside its k-closest live window, or with the
    // latency preference the fastest pending one in the closest such candidate's prefix band; -1 when none.
    private int PickCandidate(int path)
    {
        var seen = 0;
        var choice = -1;
        var band = -1;
        foreach (var idx in _candidates.PathOrder(path))
        {
            ref var e = ref _candidates[idx];
            if (e.IsDead)
            {
                continue;
            }

            if (++seen > _k)
            {
                break;
            }

            if (e.State != LookupCandidateState.Pending)
            {
                continue;
            }

            if (!_preferLowLatency)
            {
                return idx;
            }

            var b = e.Distance.LeadingZeroCount();
            if (choice < 0)
            {
                choice = idx;
                band = b;
            }
            else if (b < band)
            {
                break; // sorted by distance: every later candidate is in a farther band
            }
            else if (Faster(e.Latency, _candidates[choice].Latency))
            {
                choice = idx;
            }
        }

        return choice;
    }

    // Unknown latency sorts after any known one; ties keep the closer candidate.
    private static bool Faster(double candidate, double current) =>
        !double.IsNaN(candidate) && (double.IsNaN(current) || candidate < current);

    // Termination (see the class remarks): the path's k closest live candidates have all answered, and a path
    // that nobody has answered yet also waits for the requests it gave up on.
    private bool IsPathDone(int path)
    {
        var seen = 0;
        var givenUp = false;
        foreach (var idx in _candidates.PathOrder(path))
        {
            if (seen >= _k)
            {
                break;
            }

            ref var e = ref _candidates[idx];
            if (e.State == LookupCandidateState.GaveUp)
            {
                givenUp = true;
                continue;
            }

            if (e.State == LookupCandidateState.Failed)
            {
                continue;
            }

            if (e.State != LookupCandidateState.Answered)
            {
                return false;
            }

            seen++;
        }

        // Patience frees a slow request's slot for other candidates; it is no reason to end a path that nobody
        // has answered yet (a join through one busy bootstrap peer): ending would return nothing where a late
        // answer may still come, so such a path waits for its requests until they answer or time out.
        return seen > 0 || !givenUp;
    }

    private void UpdateAllDone()
    {
        for (var p = 0; p < PathCount; p++)
        {
            _pathDone[p] = IsPathDone(p);
        }
    }
}
