using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Overlay.Crypto;
using Overlay.Node.Composition;
using Overlay.Node.Hosting;
using Overlay.Placement;
using Overlay.Placement.Trust;
using Overlay.Transport.Interactions;

namespace Overlay.Node.Trust;

/// <summary>
/// The node's trust part. It owns the local-trust ledger that the interaction seam feeds
/// (<see cref="Interactions"/>, handed to the DHT and the shard exchange at composition), and every
/// <see cref="PlacementOptions.TrustRecomputeInterval"/> on the injected clock it recomputes global trust with
/// EigenTrust over the rows it has: its own row, built from its own observations. The pre-trusted peers are
/// <see cref="PlacementOptions.PreTrustedPeers"/> (by default those the bootstrap addresses pin) and the node
/// itself, whose first-hand evidence is the one row it never has to take on anyone's word. Placement reads
/// <see cref="Current"/>, an immutable snapshot, while the next is computed.
/// </summary>
/// <remarks>
/// Other nodes' rows come with <c>trust/1</c>, which exchanges the signed records the library defines
/// (<see cref="TrustRecord"/>, checked by a <see cref="TrustRecordBook"/>); until then the computation is over
/// this node's row alone, and a peer's trust is what this node saw of it, spread along the row as EigenTrust does.
/// </remarks>
public sealed class TrustService : INodePart
{
    private readonly PeerId _self;
    private readonly PlacementOptions _options;
    private readonly List<PeerId> _preTrusted;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _placement;
    private TrustSnapshot _current = TrustSnapshot.Empty;

    /// <summary>Creates the part; <paramref name="bootstrapPeers"/> are the PeerIds the bootstrap addresses pin.</summary>
    public TrustService(
        PeerId self, PlacementOptions options, IEnumerable<PeerId> bootstrapPeers, string placement, TimeProvider time, IMeterFactory meterFactory, ILogger<TrustService> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(meterFactory);
        _self = self;
        _options = options;
        _preTrusted = options.ResolvePreTrustedPeers(bootstrapPeers).Where(p => p != self).ToList();
        _placement = placement;
        _time = time;
        _logger = logger;
        var meter = meterFactory.Create(PlacementMetrics.MeterName);
        PlacementMetrics = new PlacementMetrics(meter);
        var ledger = new LocalTrustLedger(self, options);
        Metrics = new TrustMetrics(meter, () => ledger.Count, () => Volatile.Read(ref _current).Run.Iterations);
        Observations = new TrustObservations(self, ledger, new PeerPerformance(self, options, time), time, Metrics);
    }

    /// <summary>Where every protocol reports how its exchanges with peers ended.</summary>
    public IInteractionObserver Interactions => Observations;

    /// <summary>The ledger and success rates the seam feeds.</summary>
    public TrustObservations Observations { get; }

    /// <summary>The trust counters.</summary>
    public TrustMetrics Metrics { get; }

    /// <summary>The placement library's counters (shortfalls), on the same meter.</summary>
    public PlacementMetrics PlacementMetrics { get; }

    /// <summary>The settings trust and placement run with.</summary>
    public PlacementOptions Options => _options;

    /// <summary>How the node places its shards' holders (<c>ShardExchange:Placement</c>), for the status.</summary>
    public string Placement => _placement;

    /// <summary>Pre-trusted peers other than this node.</summary>
    public IReadOnlyList<PeerId> PreTrusted => _preTrusted;

    /// <summary>The latest global trust; <see cref="TrustSnapshot.Empty"/> before the first computation.</summary>
    public TrustSnapshot Current => Volatile.Read(ref _current);

    /// <summary>Computes global trust now from this node's observations and makes it <see cref="Current"/>.</summary>
    public TrustSnapshot Recompute()
    {
        var now = _time.GetUtcNow();
        var row = Observations.Ledger.ToVector(now, _options.MaxRecordEntries);
        var matrix = new TrustMatrixBuilder()
            .AddRow(_self, row)
            .AddPreTrusted(_self)
            .AddPreTrusted(_preTrusted)
            .Build();
        var snapshot = EigenTrust.Compute(matrix, _options, now);
        Volatile.Write(ref _current, snapshot);
        Metrics.Recomputed();
        return snapshot;
    }

    /// <summary>The trust part of <c>overlay status</c>: what was observed, and the latest computation.</summary>
    public JsonObject Summary()
    {
        var current = Current;
        var observed = new JsonObject();
        foreach (var result in Enum.GetValues<InteractionResult>())
        {
            observed[result.ToString()] = Metrics.ObservedTotal(result);
        }

        return new JsonObject
        {
            ["placement"] = _placement,
            ["peersObserved"] = Observations.Ledger.Count,
            ["preTrusted"] = _preTrusted.Count,
            ["peersWithTrust"] = current.Count,
            ["computedAt"] = current.Run.Iterations == 0 && current.Count == 0 ? null : current.ComputedAt.ToString("O", CultureInfo.InvariantCulture),
            ["iterations"] = current.Run.Iterations,
            ["converged"] = current.Run.Converged,
            ["exchanges"] = observed,
        };
    }

    /// <inheritdoc/>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        Recompute();
        Log.TrustStarted(_logger, _options.TrustRecomputeInterval, _preTrusted.Count, _placement);
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.TrustRecomputeInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(true))
            {
                try
                {
                    Recompute();
                }
#pragma warning disable CA1031 // A failed computation is our bug: logged at Error, and the previous trust stays in use until the next period.
                catch (Exception e)
#pragma warning restore CA1031
                {
                    Log.TrustRecomputeFailed(_logger, e.GetType().Name, e.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    /// <inheritdoc/>
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
