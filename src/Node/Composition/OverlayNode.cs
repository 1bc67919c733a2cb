using Overlay.Crypto;
using Overlay.Node.Hosting;
using Overlay.Node.Reachability;
using Overlay.Node.Trust;

namespace Overlay.Node.Composition;

/// <summary>
/// A whole node, as <see cref="NodeComposition.Build"/> made it: its parts start in order (the shard
/// store first, so a damaged store stops the node before it serves anything; then the transport; then trust,
/// which the protocols report their exchanges to; then the DHT, which shares the transport's listener and pool;
/// then the shard exchange, whose holders the DHT's routing table proposes; then reachability, which checks
/// the address the DHT announces; then the owner's maintenance and the holder's announcements), their loops run on the context that called
/// <see cref="StartAsync"/>, and at stop the loops end before the parts stop in reverse order (the DHT
/// saves its state while the transport is still up; the store closes last). Start and stop are not
/// concurrent with each other: the host or the simulator calls them in turn.
/// </summary>
public sealed class OverlayNode : IAsyncDisposable
{
    private readonly INodePart[] _parts;
    private readonly List<INodePart> _started = [];
    private CancellationTokenSource? _stopping;
    private Task _running = Task.CompletedTask;

    internal OverlayNode(
        PeerId id, ShardStoreService shardStore, TransportService transport, TrustService trust, DhtService dht, ShardExchangeService shardExchange,
        ReachabilityService reachability, ShardMaintenanceService shardMaintenance, ShardAnnouncementService shardAnnouncements, TrustExchangeService trustExchange)
    {
        Id = id;
        ShardStore = shardStore;
        Transport = transport;
        Trust = trust;
        Dht = dht;
        ShardExchange = shardExchange;
        Reachability = reachability;
        ShardMaintenance = shardMaintenance;
        ShardAnnouncements = shardAnnouncements;
        TrustExchange = trustExchange;
        _parts = [shardStore, transport, trust, dht, shardExchange, reachability, shardMaintenance, shardAnnouncements, trustExchange];
    }

    /// <summary>The node's PeerId.</summary>
    public PeerId Id { get; }

    /// <summary>The shard store part.</summary>
    public ShardStoreService ShardStore { get; }

    /// <summary>The transport part: listeners, the connection pool, bootstrap dials.</summary>
    public TransportService Transport { get; }

    /// <summary>The trust part: the local-trust ledger the protocols' exchanges feed, and global trust recomputed on the clock.</summary>
    public TrustService Trust { get; }

    /// <summary>The DHT part: join with backoff, maintenance, snapshots.</summary>
    public DhtService Dht { get; }

    /// <summary>The shard exchange part: <c>shard/1</c> served to peers, and this node's shards placed on holders.</summary>
    public ShardExchangeService ShardExchange { get; }

    /// <summary>The reachability part: <c>reach/1</c> served to peers, this node's own address checked by them, its DHT mode.</summary>
    public ReachabilityService Reachability { get; }

    /// <summary>The owner's maintenance part: probes, audits, renewals and repairs of the shards this node placed.</summary>
    public ShardMaintenanceService ShardMaintenance { get; }

    /// <summary>The holder's provider announcements of the shards this node keeps.</summary>
    public ShardAnnouncementService ShardAnnouncements { get; }

    /// <summary>The trust part's <c>trust/1</c>: records served to peers, and pulled from them.</summary>
    public TrustExchangeService TrustExchange { get; }

    /// <summary>
    /// The parts' loops while the node runs: faults with the first loop's exception (a bug; a failed
    /// iteration is survived inside the loop), completes after <see cref="StopAsync"/> ends them.
    /// </summary>
    public Task Running => _running;

    /// <summary>
    /// Starts every part in order, then their loops. When a part fails to start, those already started
    /// are stopped again and the failure is rethrown.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_stopping is not null)
        {
            throw new InvalidOperationException("The node has started already.");
        }

        try
        {
            foreach (var part in _parts)
            {
                await part.StartAsync(cancellationToken).ConfigureAwait(true);
                _started.Add(part);
            }
        }
        catch
        {
            await StopStartedAsync(CancellationToken.None).ConfigureAwait(true);
            throw;
        }

        _stopping = new CancellationTokenSource();
        var loops = new Task[_parts.Length];
        for (var i = 0; i < loops.Length; i++)
        {
            loops[i] = _parts[i].RunAsync(_stopping.Token);
        }

        _running = Task.WhenAll(loops);
    }

    /// <summary>
    /// Ends the loops, then stops the parts in reverse order. Safe to call when the node never started.
    /// <paramref name="cancellationToken"/> (the host's shutdown timeout) cuts short the wait for the loops.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_stopping is { } stopping)
        {
            // Cancel, not CancelAsync: the loops' cancellation callbacks run here, on the node's context,
            // rather than on the thread pool (outside a simulator's scheduler).
#pragma warning disable CA1849
            stopping.Cancel();
#pragma warning restore CA1849
            try
            {
                // As a hosted service's stop: wait for the loops until the host's shutdown timeout, no longer.
                // (With no token, as in the simulator, WaitAsync returns the loops' own task.)
                await _running.WaitAsync(cancellationToken).ConfigureAwait(true);
            }
            catch (OperationCanceledException)
            {
                // A loop that ended by its token's cancellation rather than by returning.
            }
            finally
            {
                stopping.Dispose();
                _stopping = null;
            }
        }

        await StopStartedAsync(cancellationToken).ConfigureAwait(true);
    }

    /// <summary>Stops the node (<see cref="StopAsync"/>).</summary>
    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(true);

    private async Task StopStartedAsync(CancellationToken cancellationToken)
    {
        for (var i = _started.Count - 1; i >= 0; i--)
        {
            await _started[i].StopAsync(cancellationToken).ConfigureAwait(true);
        }

        _started.Clear();
    }
}
