using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Overlay.Dht;
using Overlay.Dht.Coordinates;
using Overlay.Dht.Persistence;
using Overlay.Dht.Records;
using Overlay.Node.Composition;
using Overlay.Node.Configuration;
using Overlay.Transport;
using Overlay.Transport.Interactions;

namespace Overlay.Node.Hosting;

/// <summary>
/// The node's DHT participant. At start it builds a <see cref="DhtNode"/> over the node's own transport
/// and connection pool (one listener per node), serves protocol <c>dht/1</c> with it, and restores the
/// contacts and records saved in <c>dht.db</c>. Every record the node keeps (its own puts and the records
/// it accepts for others) is written to <c>dht.db</c> through a group-commit journal before it is
/// acknowledged. While running it joins through the bootstrap peers (those configured without a PeerId
/// through the identity they proved on first contact, whose pin is saved at once) and the saved contacts,
/// retrying with backoff while nobody answers and saying why; it runs maintenance rounds, and every
/// <c>DhtHost:SnapshotInterval</c> saves the contacts that changed and deletes expired rows, all on the
/// injected clock. At stop it saves the contacts and closes the file. Where the state is kept comes from
/// outside (<c>openState</c>, and <c>openJournal</c> for the writes in its order): <c>dht.db</c> in the daemon,
/// memory in the simulator.
/// </summary>
public sealed class DhtService(
    NodeIdentityHolder identity,
    IOptions<DhtOptions> dhtOptions,
    IOptions<DhtHostOptions> hostOptions,
    IOptions<NodeOptions> nodeOptions,
    TransportService transport,
    ProtocolDispatcher protocols,
    BootstrapSeeds seeds,
    Func<IDhtStateStore> openState,
    Func<IDhtStateStore, IDhtStateJournal> openJournal,
    TimeProvider time,
    Random random,
    IMeterFactory meterFactory,
    ILogger<DhtService> logger,
    IInteractionObserver? interactions = null) : INodePart
{
    /// <summary>Meter of the node's own DHT hosting counters (the DHT's are under Overlay.Dht).</summary>
    public const string MeterName = "Overlay.Node.Dht";

    private static readonly TimeSpan FirstJoinRetry = TimeSpan.FromSeconds(2);

    // Completed by the join loop; plain continuations, so awaiting it keeps a simulated node on its scheduler.
    private readonly TaskCompletionSource _joined = new();
    private int _savedContacts;
    private IDhtStateStore? _state;
    private IDhtStateJournal? _journal;

    /// <summary>The running DHT node; null before start and after stop.</summary>
    public DhtNode? Node { get; private set; }

    /// <summary>Whether a join attempt has reached a live peer.</summary>
    public bool Joined => _joined.Task.IsCompletedSuccessfully;

    /// <summary>Completes when a join attempt has reached a live peer; never when the node waits for peers to find it.</summary>
    public Task WhenJoined => _joined.Task;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var options = dhtOptions.Value;
        var announce = AnnounceAddress.Resolve(hostOptions.Value.AnnounceAddress, transport.LocalAddresses);
        // The daemon passes Random.Shared (thread-safe; it has no run to replay); tests and the simulator a seeded source.
        // A configured location seeds the coordinate, so the first lookups already prefer nearby peers.
        var location = nodeOptions.Value is { Latitude: { } lat, Longitude: { } lon } ? VivaldiCoordinate.FromLocation(lat, lon) : (VivaldiCoordinate?)null;
        var state = _state = openState();
        var loaded = state.Load(time.GetUtcNow());
        _journal = openJournal(state);
        var node = new DhtNode(identity.Identity, options, time, random, new Overlay.Dht.Wire.PooledDhtNetwork(transport.Transports, transport.Pool), announce,
            meterFactory.Create(Overlay.Dht.Wire.DhtMetrics.MeterName), startCoordinate: location, journal: _journal, interactions: interactions);
        Restore(node, loaded);
        try
        {
            // Rows checked again are sealed, refused ones deleted; the records were saved already, so a
            // failure here loses nothing and only costs the check again at the next start.
            await node.WhenRestoreSavedAsync().ConfigureAwait(true);
        }
        catch (DhtStateException e)
        {
            Log.DhtStateSaveFailed(logger, e.Message);
        }

        Node = node;
        seeds.PinLearned += OnPinLearned;
        protocols.Attach(ProtocolIds.Dht, node.RequestHandler);
        var detail = $"announcing {announce?.ToString() ?? "no address"}, {node.ContactCount} contacts, {node.RecordCount} records";
        Log.ComponentStarted(logger, "DHT", detail);
    }

    public Task RunAsync(CancellationToken stoppingToken)
    {
        var node = Node!;
        return Task.WhenAll(
            JoinAsync(node, stoppingToken),
            MaintenanceLoopAsync(node, stoppingToken),
            SnapshotLoopAsync(node, stoppingToken));
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        seeds.PinLearned -= OnPinLearned;
        protocols.Detach(ProtocolIds.Dht);
        if (Node is { } node)
        {
            await SaveContactsAsync(node).ConfigureAwait(true);
            Node = null;
            await node.DisposeAsync().ConfigureAwait(true);
        }

        // Writes still queued are saved first; then the file is closed, its log folded in.
        (_journal as IDisposable)?.Dispose();
        _journal = null;
        _state?.Dispose();
        _state = null;
    }

    private void Restore(DhtNode node, DhtStateLoadResult loaded)
    {
        var problems = meterFactory.Create(MeterName).CreateCounter<long>("overlay.dht.state_problems", description: "Problems met loading dht.db, by reason (each skipped)");
        foreach (var problem in loaded.Problems)
        {
            problems.Add(1, new KeyValuePair<string, object?>("reason", problem.Error.ToString()));
            Log.DhtStateProblem(logger, problem.Error, problem.Detail);
        }

        _savedContacts = node.RestoreContacts(loaded.Snapshot.Contacts);
        seeds.Restore(loaded.Snapshot.BootstrapPins);
        var kept = 0;
        var refused = 0;
        var checkedAgain = 0;
        foreach (var record in loaded.Snapshot.Records)
        {
            // A sealed row skips the signature check; any other is checked like a record from the network.
            checkedAgain += record.Sealed ? 0 : 1;
            Tally(node.RestoreRecord(record), "Record");
        }

        // Provider records (held for others and this node's own announcements) are counted with the records.
        foreach (var provider in loaded.Snapshot.Providers)
        {
            Tally(node.RestoreProvider(provider), "Provider");
        }

        void Tally(RecordRejection verdict, string kind)
        {
            if (verdict == RecordRejection.None)
            {
                kept++;
                return;
            }

            refused++;
            problems.Add(1, new KeyValuePair<string, object?>("reason", kind + verdict));
            Log.DhtRecordRefused(logger, verdict);
        }

        var expired = loaded.ExpiredRecords + loaded.ExpiredProviders;
        if (loaded.Snapshot.Contacts.Count + loaded.Snapshot.Records.Count + loaded.Snapshot.Providers.Count + expired + loaded.Problems.Count > 0)
        {
            Log.DhtStateLoaded(logger, _state!.Path, _savedContacts, kept, expired, refused, checkedAgain);
        }
    }

    private async Task JoinAsync(DhtNode node, CancellationToken stoppingToken)
    {
        if (seeds.Configured.Count == 0 && _savedContacts == 0)
        {
            Log.DhtWaitingForPeers(logger);
            return;
        }

        var delay = FirstJoinRetry;
        while (!stoppingToken.IsCancellationRequested)
        {
            var started = time.GetUtcNow();
            try
            {
                var contacts = await node.BootstrapAsync(await ResolveSeedsAsync(node, stoppingToken).ConfigureAwait(true), stoppingToken).ConfigureAwait(true);
                var answered = 0;
                foreach (var c in node.SnapshotContacts())
                {
                    answered += c.LastSeen >= started ? 1 : 0;
                }

                if (answered > 0)
                {
                    _joined.TrySetResult();
                    Log.DhtJoined(logger, answered, contacts);
                    return;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (OperationCanceledException)
            {
                // A request timeout that surfaced from the lookup: a failed attempt like any other.
            }
#pragma warning disable CA1031 // A background loop that threw would stop the whole node; the attempt is retried instead.
            catch (Exception e)
#pragma warning restore CA1031
            {
                Log.DhtJoinError(logger, e);
            }

            var why = seeds.DescribeFailures();
            Log.DhtJoinFailed(logger, seeds.Configured.Count, _savedContacts, why.Length > 0 ? why : "no peer answered a DHT request", delay.TotalSeconds);
            try
            {
                await Task.Delay(delay, time, stoppingToken).ConfigureAwait(true);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, hostOptions.Value.MaxJoinRetryDelay.Ticks));
        }
    }

    /// <summary>
    /// The bootstrap peers to join through, each with the identity it must prove; one whose first contact
    /// fails is left out of this attempt (and its failure kept for the join's message).
    /// </summary>
    private async Task<IReadOnlyList<TransportAddress>> ResolveSeedsAsync(DhtNode node, CancellationToken stoppingToken)
    {
        var resolved = new List<TransportAddress>();
        foreach (var configured in seeds.Configured)
        {
            try
            {
                var address = await transport.ResolveBootstrapAsync(configured, stoppingToken).ConfigureAwait(true);
                if (address.ExpectedPeer != node.Id)
                {
                    resolved.Add(address);
                }
            }
            catch (TransportException e)
            {
                seeds.RecordFailure(configured, e.Message);
            }
        }

        return resolved;
    }

    private void OnPinLearned(BootstrapPin pin) => _ = SavePinAsync(pin);

    /// <summary>
    /// Saves a pin learned on first contact at once: a node killed before its next snapshot must not trust
    /// a new identity at that address on its next start.
    /// </summary>
    private async Task SavePinAsync(BootstrapPin pin)
    {
        if (_journal is not { } journal)
        {
            return;
        }

        try
        {
            await journal.WriteAsync(DhtStateChange.StoreBootstrapPin(pin)).ConfigureAwait(true);
        }
        catch (DhtStateException e)
        {
            // Kept in memory for this run; the next start trusts the first identity again.
            Log.DhtStateSaveFailed(logger, e.Message);
        }
    }

    private async Task MaintenanceLoopAsync(DhtNode node, CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(hostOptions.Value.MaintenanceInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(true))
            {
                try
                {
                    await node.RunMaintenanceOnceAsync(stoppingToken).ConfigureAwait(true);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
#pragma warning disable CA1031 // A failed round (every peer unreachable, a request timeout) is retried next period, never fatal.
                catch (Exception e)
#pragma warning restore CA1031
                {
                    var kind = e.GetType().Name;
                    Log.DhtMaintenanceFailed(logger, kind, e.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private async Task SnapshotLoopAsync(DhtNode node, CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(hostOptions.Value.SnapshotInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(true))
            {
                await SaveContactsAsync(node).ConfigureAwait(true);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping: StopAsync saves the contacts a last time.
        }
    }

    /// <summary>
    /// Saves the routing table (only the contacts that changed are written) and deletes rows that
    /// expired. Records need no saving here: each was written when the node kept it.
    /// </summary>
    private async Task SaveContactsAsync(DhtNode node)
    {
        if (_journal is not { } journal)
        {
            return;
        }

        IReadOnlyList<Overlay.Dht.Persistence.ContactSnapshot> contacts;
        try
        {
            contacts = node.SnapshotContacts();
        }
        catch (ObjectDisposedException)
        {
            return;
        }

        try
        {
            var saved = journal.WriteAsync(DhtStateChange.SaveContacts(contacts));
            var swept = journal.WriteAsync(DhtStateChange.RemoveExpired(time.GetUtcNow()));
            await Task.WhenAll(saved, swept).ConfigureAwait(true);
            Log.DhtStateSaved(logger, _state!.Path, contacts.Count, node.RecordCount);
        }
        catch (DhtStateException e)
        {
            // What was saved before stays; the next round tries again.
            Log.DhtStateSaveFailed(logger, e.Message);
        }
    }
}
