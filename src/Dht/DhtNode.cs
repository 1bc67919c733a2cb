using System.Diagnostics.Metrics;
using Overlay.Crypto;
using Overlay.Dht.Coordinates;
using Overlay.Dht.Persistence;
using Overlay.Dht.Records;
using Overlay.Dht.Routing;
using Overlay.Dht.Wire;
using Overlay.Transport;
using Overlay.Transport.Interactions;

namespace Overlay.Dht;

/// <summary>
/// One DHT participant: identity, transport, routing table, lookups, record store and the maintenance
/// that keeps them fresh, all on the injected <see cref="TimeProvider"/> and seeded <see cref="Random"/>.
/// Round-trip times of successful requests feed the node's Vivaldi coordinate, and lookups order
/// candidates by the RTT that coordinate predicts. Safe to call concurrently: the routing table, the record
/// store, the rate limiter and the coordinates are each reached only through one <see cref="Guarded{T}"/> that
/// the node creates and hands to its client and request handler. Requests go through the
/// <see cref="IDhtNetwork"/> the node runs on, and every exchange's outcome goes to the interaction seam.
/// </summary>
public sealed partial class DhtNode : IAsyncDisposable
{
    private readonly NodeIdentity _identity;
    private readonly DhtOptions _options;
    private readonly TimeProvider _time;
    private readonly Random _random;
    // The structures the client, the request handler and maintenance share: each reached only through its
    // guard, created here, so the node is their one owner.
    private readonly Guarded<RoutingTable> _table;
    private readonly Guarded<RecordStore> _store;
    private readonly Guarded<VivaldiNode> _vivaldi;
    private readonly IDhtNetwork _network;
    private readonly IDhtRpc _rpc;
    private readonly DhtRequestRunner _requests;
    private readonly DhtClient _client;
    private readonly WarmContacts _warm;
    private readonly Meter? _ownedMeter;
    private readonly Guarded<PeerRateLimiter> _limiter;
    private readonly IDhtStateJournal? _journal;
    private readonly List<Task> _restoreWrites = [];
    private string? _address;

    /// <summary>Creates a node; call <see cref="StartAsync"/> to listen and <see cref="BootstrapAsync"/> to join.</summary>
    /// <param name="identity">The node's key; its PeerId is the node's place in the keyspace. Not disposed by the node.</param>
    /// <param name="options">DHT options (validated here).</param>
    /// <param name="time">Clock for timeouts, expiry and maintenance.</param>
    /// <param name="random">Seeded source for refresh targets and coordinates.</param>
    /// <param name="createTransport">Builds the transport around the node's protocols (<c>dht/1</c>, served by <see cref="RequestHandler"/>).</param>
    /// <param name="transportOptions">Options for the connection pool (and usually the transport).</param>
    /// <param name="meter">Meter for the DHT counters; the node creates its own when null.</param>
    /// <param name="vivaldiOptions">Coordinate options; defaults when null.</param>
    /// <param name="journal">Where records this node keeps are saved before it acknowledges them; null keeps them in memory only.</param>
    /// <param name="interactions">Told how every request this node sends ends; none when null.</param>
    public DhtNode(
        NodeIdentity identity, DhtOptions options, TimeProvider time, Random random, Func<ProtocolDispatcher, ITransport> createTransport,
        TransportOptions? transportOptions = null, Meter? meter = null, VivaldiOptions? vivaldiOptions = null, IDhtStateJournal? journal = null,
        IInteractionObserver? interactions = null)
        : this(identity, options, time, random, meter, vivaldiOptions, startCoordinate: null, announcedAddress: null, journal, interactions,
            handler => Wire.PooledDhtNetwork.Create(createTransport, new ProtocolDispatcher(ProtocolIds.Dht, handler), transportOptions, time))
    {
    }

    /// <summary>
    /// Creates a node on its host's network (for a daemon, <see cref="Wire.PooledDhtNetwork"/> over the host's
    /// transport and connection pool: one listener and one pool per process), with the host serving <c>dht/1</c>
    /// through <see cref="RequestHandler"/>. The host listens and owns the network; <see cref="DisposeAsync"/>
    /// disposes only what the network says it owns, and <see cref="StartAsync"/> is not called.
    /// </summary>
    /// <param name="identity">The node's key (the one the transport authenticates with). Not disposed by the node.</param>
    /// <param name="options">DHT options (validated here).</param>
    /// <param name="time">Clock for timeouts, expiry and maintenance.</param>
    /// <param name="random">Seeded source for refresh targets and coordinates.</param>
    /// <param name="network">The host's network: its transport, and how requests reach peers.</param>
    /// <param name="announcedAddress">Where peers can dial this node (sent with every request, no PeerId pinned), or null to stay out of others' tables.</param>
    /// <param name="meter">Meter for the DHT counters; the node creates its own when null.</param>
    /// <param name="vivaldiOptions">Coordinate options; defaults when null.</param>
    /// <param name="startCoordinate">Coordinate before any round trip is measured (e.g. <see cref="VivaldiCoordinate.FromLocation"/> of a configured location); the origin when null.</param>
    /// <param name="journal">Where records this node keeps are saved before it acknowledges them; null keeps them in memory only.</param>
    /// <param name="interactions">Told how every request this node sends ends (the node's interaction seam); none when null.</param>
    public DhtNode(
        NodeIdentity identity, DhtOptions options, TimeProvider time, Random random, IDhtNetwork network,
        TransportAddress? announcedAddress, Meter? meter = null, VivaldiOptions? vivaldiOptions = null, VivaldiCoordinate? startCoordinate = null,
        IDhtStateJournal? journal = null, IInteractionObserver? interactions = null)
        : this(identity, options, time, random, meter, vivaldiOptions, startCoordinate, announcedAddress, journal, interactions,
            _ => network ?? throw new ArgumentNullException(nameof(network)))
    {
    }

    private DhtNode(
        NodeIdentity identity, DhtOptions options, TimeProvider time, Random random, Meter? meter, VivaldiOptions? vivaldiOptions,
        VivaldiCoordinate? startCoordinate, TransportAddress? announcedAddress, IDhtStateJournal? journal,
        IInteractionObserver? interactions, Func<IProtocolHandler, IDhtNetwork> attach)
    {
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(random);
        _identity = identity;
        _options = options.EnsureValid();
        _time = time;
        _random = random;
        _journal = journal;
        _address = announcedAddress?.WithPeer(null).ToString();
        _vivaldi = new Guarded<VivaldiNode>(new VivaldiNode(vivaldiOptions ?? new VivaldiOptions(), random, startCoordinate ?? VivaldiCoordinate.Origin));
        if (meter is null)
        {
            _ownedMeter = new Meter(DhtMetrics.MeterName);
            meter = _ownedMeter;
        }

        Metrics = new DhtMetrics(meter);
        meter.CreateObservableGauge("overlay.dht.contacts", () => ContactCount, "{contact}", "Contacts in the routing table.");
        meter.CreateObservableGauge("overlay.dht.records", () => RecordCount, "{record}", "Value records held.");
        var validator = new RecordValidator(_options, new IdentityRecordVerifier(), new CheckedProviderRecords(_options.CheckedProviderRecords));
        ProviderChecks = validator.CheckedProviders;
        meter.CreateObservableCounter(
            "overlay.dht.provider_checks",
            () => new[] { new Measurement<long>(ProviderChecks.Hits, new KeyValuePair<string, object?>("result", "remembered")), new Measurement<long>(ProviderChecks.Misses, new KeyValuePair<string, object?>("result", "verified")) },
            "{record}", "Provider-record signature checks, by whether the record's exact signed bytes were checked before (remembered) or verified now.");
        _table = new Guarded<RoutingTable>(new RoutingTable(identity.PeerId, _options, time.GetUtcNow()) { ContactEvicted = id => ContactEvicted?.Invoke(id) });
        _store = new Guarded<RecordStore>(new RecordStore(_options, validator));
        _limiter = new Guarded<PeerRateLimiter>(new PeerRateLimiter(_options));
        RequestHandler = new DhtRequestHandler(_table, _store, _limiter, _options, time, Metrics, CurrentCoordinate, c => _client!.StartPing(c), journal);
        _network = attach(RequestHandler);
        interactions ??= InteractionObservers.None;
        _rpc = _network.CreateRpc(new DhtRpcContext(_options, time, validator, Metrics, () => Volatile.Read(ref _address), OnAnswer, interactions));
        _requests = new DhtRequestRunner(_rpc, _options, time, interactions);
        // The client draws retry jitter from a source of its own, seeded from the node's: one seed, one run.
        _client = new DhtClient(
            _table, identity.PeerId, _rpc, _options, time, new VivaldiRttEstimator(_vivaldi, _options.UseReportedCoordinates), validator, new Random(random.Next()), interactions);
        _warm = new WarmContacts(_table, _network, _requests, _options, time);
    }

    /// <summary>Serves the DHT requests peers send this node (protocol <c>dht/1</c>); a host sharing its transport registers it with its dispatcher.</summary>
    public IProtocolHandler RequestHandler { get; }

    /// <summary>The provider records whose signature this node checked and remembers, with their hit and miss counts.</summary>
    public CheckedProviderRecords ProviderChecks { get; }

    /// <summary>The node's id.</summary>
    public PeerId Id => _identity.PeerId;

    /// <summary>
    /// Raised with the id of each contact the routing table evicts as gone (<see cref="RoutingTable.ContactEvicted"/>):
    /// a peer that stopped answering this node's requests and pings. Raised under the table's lock, on whatever
    /// thread ran the request: a handler must be quick and must not call into this node.
    /// </summary>
    public event Action<PeerId>? ContactEvicted;

    /// <summary>The node's transport.</summary>
    public ITransport Transport => _network.Transport;

    /// <summary>The node's counters.</summary>
    public DhtMetrics Metrics { get; }

    /// <summary>The address the node announces with every request (no PeerId pinned); null while it runs as a DHT client.</summary>
    public string? Address => Volatile.Read(ref _address);

    /// <summary>
    /// Announces <paramref name="address"/> with every request from now on, or, when null, runs as a DHT client:
    /// requests then carry no address, so receivers never add this node to their routing tables (docs/PROTOCOL.md,
    /// "Request header"), and those that hold it replace it once it fails their requests. A node no peer can dial
    /// switches to null; it still looks up, gets and puts through others.
    /// </summary>
    public void SetAnnouncedAddress(TransportAddress? address) => Volatile.Write(ref _address, address?.WithPeer(null).ToString());

    /// <summary>Contacts in the routing table.</summary>
    public int ContactCount
    {
        get
        {
            using (_table.Enter(out var table))
            {
                return table.Count;
            }
        }
    }

    /// <summary>Failed requests to <paramref name="peer"/> since it last answered, or -1 when it is not in the routing table.</summary>
    public int FailuresOf(PeerId peer)
    {
        using (_table.Enter(out var table))
        {
            return table.Find(peer)?.FailedRequests ?? -1;
        }
    }

    /// <summary>How many items each of the node's growing structures holds (memory accounting in the simulator).</summary>
    internal DhtNodeCensus Census()
    {
        int contacts, cached, limited, filtered, coordinates, records;
        using (_table.Enter(out var table))
        {
            contacts = table.Count;
            cached = table.ReplacementTotal;
        }

        using (_limiter.Enter(out var limiter))
        {
            limited = limiter.TrackedPeers;
        }

        using (_vivaldi.Enter(out var vivaldi))
        {
            filtered = vivaldi.FilteredPeers;
            coordinates = filtered;
        }

        using (_store.Enter(out var store))
        {
            records = store.Count;
        }

        return new DhtNodeCensus(contacts, cached, limited, filtered, coordinates, records, _network.ConnectionCount);
    }

    /// <summary>Records held (own and others').</summary>
    public int RecordCount
    {
        get
        {
            using (_store.Enter(out var store))
            {
                return store.Count;
            }
        }
    }

    /// <summary>The node's current network coordinate and its relative error.</summary>
    public (VivaldiCoordinate Coordinate, double Error) CurrentCoordinate()
    {
        using (_vivaldi.Enter(out var vivaldi))
        {
            return (vivaldi.Coordinate, vivaldi.Error);
        }
    }

    /// <summary>The median RTT (ms) this node measured to <paramref name="peer"/> lately, or NaN when it keeps none.</summary>
    internal double MeasuredRttOf(PeerId peer)
    {
        using (_vivaldi.Enter(out var vivaldi))
        {
            return vivaldi.TryGetMeasuredRtt(peer, out var rtt) ? rtt : double.NaN;
        }
    }

    /// <summary>Listens on <paramref name="listenAddress"/>; returns the bound address with this node's PeerId pinned.</summary>
    public async Task<TransportAddress> StartAsync(TransportAddress listenAddress, CancellationToken cancellationToken)
    {
        var listener = await Transport.ListenAsync(listenAddress, cancellationToken);
        _address = listener.LocalAddress.WithPeer(null).ToString();
        _ = listener.DrainAcceptedAsync();
        return listener.LocalAddress;
    }

    /// <summary>
    /// Joins the network through <paramref name="seeds"/> (each must pin its PeerId): pings them into the
    /// routing table, looks up the node's own id, then refreshes every bucket up to the closest neighbour
    /// so the table holds contacts at every distance (Kademlia §2.3). Returns the contacts known after joining.
    /// </summary>
    public async Task<int> BootstrapAsync(IReadOnlyList<TransportAddress> seeds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(seeds);
        foreach (var seed in seeds)
        {
            if (seed.ExpectedPeer is not { } id)
            {
                throw new ArgumentException($"The bootstrap address {seed} does not pin a PeerId (/p2p/...).", nameof(seeds));
            }

            var address = seed.WithPeer(null).ToString();
            var group = NetworkGroup.Of(seed);
            var peer = new DhtPeer(id, address, group);
            var ping = await _requests.RunAsync(peer, DhtOperations.Ping, static async (rpc, p, ct) =>
            {
                await rpc.PingAsync(p, ct);
                return true;
            }, cancellationToken);
            if (!ping.Answered)
            {
                // An unreachable seed is skipped; the others may still let the node in.
                continue;
            }

            using (_table.Enter(out var table))
            {
                table.Observe(id, group, _time.GetUtcNow(), ping.ElapsedMs, address);
            }
        }

        var self = await _client.FindClosestAsync(Id, cancellationToken);
        var deepest = 0;
        foreach (var p in self.Closest)
        {
            deepest = Math.Max(deepest, Math.Min(Id.Xor(p.Id).LeadingZeroCount(), RoutingTable.BucketCount - 1));
        }

        for (var bucket = 0; bucket < deepest; bucket++)
        {
            PeerId target;
            using (_table.Enter(out var table))
            {
                target = table.RandomIdInBucket(bucket, _random);
            }

            await _client.FindClosestAsync(target, cancellationToken);
        }

        return ContactCount;
    }

    /// <summary>
    /// Peers that must accept a put now: <see cref="DhtOptions.MinStoreReplicas"/> (at most K), or a majority
    /// of the contacts in the routing table when that is fewer (⌊n/2⌋ + 1 of n), or 0 when it holds none.
    /// </summary>
    public int RequiredReplicas()
    {
        int known;
        using (_table.Enter(out var table))
        {
            known = table.Count;
        }

        return known == 0 ? 0 : Math.Min(Math.Min(_options.MinStoreReplicas, _options.K), (known / 2) + 1);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _network.DisposeAsync();
        _ownedMeter?.Dispose();
    }

    private DhtRecord Sign(PeerId key, ReadOnlySpan<byte> value, ulong sequence, DateTimeOffset expires) =>
        DhtRecord.Create(key, value, _identity.PublicKey.Encoded, sequence, expires, payload => _identity.Sign(payload));

    private void OnAnswer(PeerId peer, VivaldiCoordinate coordinate, double error, double rttMs)
    {
        using (_vivaldi.Enter(out var vivaldi))
        {
            // Peers still at the origin with full error have measured nothing yet and would only add noise.
            // An accepted sample also keeps the peer's coordinate, for RTT estimates and for the routing
            // table, whose contacts pass it on in answers.
            if (error > 0)
            {
                vivaldi.Observe(peer, coordinate, error, rttMs);
            }
        }
    }
}
