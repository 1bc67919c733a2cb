using BenchmarkDotNet.Attributes;
using Overlay.Crypto;
using Overlay.Dht;
using Overlay.Dht.Lookup;
using Overlay.Dht.Routing;

namespace Overlay.Benchmarks.Dht;

/// <summary>
/// The lookup state machine on its own: scripted answers are precomputed from 1000 full-knowledge
/// routing tables, so the measured time is LookupState's bookkeeping (TryGetNextRequest + OnResponse),
/// not the responders' table scans.
/// </summary>
[MemoryDiagnoser]
public class LookupBenchmarks
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private PeerId[] _ids = [];
    private Dictionary<PeerId, int> _index = new();
    private RoutingTable[] _tables = [];
    private PeerId _target;
    private LookupPeer[] _seeds = [];
    private Dictionary<PeerId, LookupPeer[]> _answers = new();

    [Params(false, true)]
    public bool PreferLowLatency { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(5);
        const int n = 1000;
        _ids = new PeerId[n];
        _tables = new RoutingTable[n];
        for (var i = 0; i < n; i++)
        {
            _ids[i] = PeerId.Random(random);
            _index[_ids[i]] = i;
            _tables[i] = new RoutingTable(_ids[i], new DhtOptions(), T0);
        }

        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                var r = _tables[i].Observe(_ids[j], default, T0);
                if (r.Outcome == ObserveOutcome.PingRequired)
                {
                    _tables[i].OnPingResult(r.PingTarget!.Id, true, T0);
                }
            }
        }

        _target = PeerId.Random(random);
        var contacts = new Contact[20];
        for (var i = 0; i < n; i++)
        {
            var c = _tables[i].FindClosest(_target, contacts);
            _answers[_ids[i]] = contacts[..c].Select(x => new LookupPeer(x.Id, random.NextDouble() * 300)).ToArray();
        }

        _seeds = _answers[_ids[0]];
        Console.WriteLine($"LOOKUP requests per lookup (prefer={PreferLowLatency}): {Lookup()}");
    }

    [Benchmark(Description = "Whole lookup, 1000 nodes, k=20, α=3 (synchronous answers)")]
    public int Lookup()
    {
        var state = new LookupState(_target, _ids[0], 20, 3, 0, PreferLowLatency);
        state.AddSeeds(_seeds);
        Span<PeerId> pending = stackalloc PeerId[64];
        while (true)
        {
            var count = 0;
            while (count < pending.Length && state.TryGetNextRequest(out var request))
            {
                pending[count++] = request.Peer;
            }

            if (count == 0)
            {
                break;
            }

            for (var i = 0; i < count; i++)
            {
                state.OnResponse(pending[i], _answers[pending[i]]);
            }
        }

        return state.RequestsSent;
    }
}
