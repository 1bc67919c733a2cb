using Overlay.Crypto;
using Overlay.Dht.Coordinates;
using Overlay.Dht.Lookup;
using Overlay.Dht.Records;
using Overlay.Dht.Routing;

namespace Overlay.Dht;

/// <summary>
/// Finds the providers of a key: a node lookup for the key's k closest peers, then FIND_PROVIDERS to all of
/// them at once, each provider named once in the result. The query waits for each peer only as long as a
/// lookup would (<see cref="PeerPatience"/>): every announcement goes to all k closest, so one peer that
/// answers late (overloaded, or gone since the lookup) costs at most its patience instead of holding every
/// read of the key for the whole request timeout. The late request runs on; its failure still reaches the
/// routing table, and its answer is not used.
/// </summary>
internal sealed class ProviderQuery(
    Guarded<RoutingTable> table,
    DhtRequestRunner requests,
    DhtOptions options,
    TimeProvider time,
    IRttEstimator? rtt,
    Func<PeerId, CancellationToken, Task<LookupResult>> findClosest)
{
    /// <summary>The providers of <paramref name="key"/> named by those of its k closest peers that answer within their patience.</summary>
    public async Task<IReadOnlyList<ProviderRecord>> FindAsync(PeerId key, CancellationToken cancellationToken)
    {
        var closest = await findClosest(key, cancellationToken);
        var asks = new Task<IReadOnlyList<ProviderRecord>>[closest.Closest.Count];
        var gate = new AnswerGate(asks.Length);
        var timers = new List<ITimer>(asks.Length);
        try
        {
            using var registration = cancellationToken.Register(static (s, ct) => ((AnswerGate)s!).Cancel(ct), gate);
            for (var i = 0; i < asks.Length; i++)
            {
                var peer = closest.Closest[i];
                asks[i] = AskAsync(peer, key, cancellationToken);
                var slot = new PeerSlot(gate, i);
                var patience = PeerPatience.For(options, rtt?.MeasuredRtt(peer.Id) ?? double.NaN);
                if (patience != Timeout.InfiniteTimeSpan)
                {
                    timers.Add(time.CreateTimer(static s => ((PeerSlot)s!).GiveUp(), slot, patience, Timeout.InfiniteTimeSpan));
                }

                _ = asks[i].ContinueWith(static (_, s) => ((PeerSlot)s!).Answered(), slot, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }

            await gate.Settled;
        }
        finally
        {
            foreach (var t in timers)
            {
                t.Dispose();
            }
        }

        var seen = new HashSet<PeerId>();
        var result = new List<ProviderRecord>();
        for (var i = 0; i < asks.Length; i++)
        {
            if (!gate.AnsweredInTime(i))
            {
                continue;
            }

            foreach (var p in await asks[i])
            {
                if (seen.Add(p.Provider))
                {
                    result.Add(p);
                }
            }
        }

        return result;
    }

    private async Task<IReadOnlyList<ProviderRecord>> AskAsync(DhtPeer peer, PeerId key, CancellationToken cancellationToken)
    {
        var found = await requests.RunAsync(peer, DhtOperations.FindProviders, (rpc, p, ct) => rpc.FindProvidersAsync(p, key, ct), cancellationToken);
        if (found.Answered)
        {
            return found.Value!;
        }

        if (!found.RateLimited)
        {
            using (table.Enter(out var t))
            {
                t.OnRequestFailed(peer.Id, time.GetUtcNow());
            }
        }

        return [];
    }

    private readonly record struct PeerSlot(AnswerGate Gate, int Index)
    {
        public void Answered() => Gate.Settle(Index, answered: true);

        public void GiveUp() => Gate.Settle(Index, answered: false);
    }

    /// <summary>
    /// Settles each peer once, by its answer or by its patience running out, and completes when all are settled.
    /// Continuations run synchronously, as a lookup's events do: the query moves on inside the callback that
    /// settles the last peer (a timer fired by the clock, or the answer's completion), so a virtual clock's
    /// advance runs the whole step and nothing hops to the thread pool behind the clock's back.
    /// </summary>
    private sealed class AnswerGate
    {
        private readonly int[] _state;
        private readonly TaskCompletionSource _settled = new();
        private int _open;

        public AnswerGate(int count)
        {
            _state = new int[count];
            _open = count;
            if (count == 0)
            {
                _settled.TrySetResult();
            }
        }

        public Task Settled => _settled.Task;

        public bool AnsweredInTime(int index) => Volatile.Read(ref _state[index]) == 1;

        public void Settle(int index, bool answered)
        {
            if (Interlocked.CompareExchange(ref _state[index], answered ? 1 : 2, 0) == 0 && Interlocked.Decrement(ref _open) == 0)
            {
                _settled.TrySetResult();
            }
        }

        public void Cancel(CancellationToken cancellationToken) => _settled.TrySetCanceled(cancellationToken);
    }
}
