using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Overlay.Crypto;
using Overlay.Node.Composition;
using Overlay.Node.Hosting;
using Overlay.Placement;
using Overlay.Placement.Capacity;
using Overlay.Placement.Trust;
using Overlay.Transport.Interactions;

namespace Overlay.Node.Trust;

/// <summary>
/// The node's trust part. It owns the local-trust ledger that the interaction seam feeds
/// (<see cref="Interactions"/>, handed to the DHT and the shard exchange at composition) and the signed records
/// of other nodes' rows that <c>trust/1</c> collects (<see cref="Records"/>). Every
/// <see cref="PlacementOptions.TrustRecomputeInterval"/> on the injected clock it recomputes global trust with
/// EigenTrust over every row it has: its own, from its own observations, and each record it holds. The pre-trusted
/// peers are <see cref="PlacementOptions.PreTrustedPeers"/> (by default those the bootstrap addresses pin) and the
/// node itself, whose first-hand evidence is the one row it never has to take on anyone's word. Every
/// <see cref="PlacementOptions.TrustPublishInterval"/> it signs its row anew for others to pull, unless
/// <see cref="PlacementOptions.TrustExchangeEnabled"/> is false. Placement reads
/// <see cref="Current"/>, an immutable snapshot, while the next is computed.
/// </summary>
public sealed class TrustService : INodePart
{
    private readonly NodeIdentity _identity;
    private readonly PeerId _self;
    private readonly PlacementOptions _options;
    private readonly List<PeerId> _preTrusted;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _placement;
    private readonly Lock _recomputing = new();
    private TrustSnapshot _current = TrustSnapshot.Empty;

    /// <summary>Creates the part; <paramref name="bootstrapPeers"/> are the PeerIds the bootstrap addresses pin; <paramref name="identity"/> signs the node's record.</summary>
    public TrustService(
        NodeIdentity identity, PlacementOptions options, IEnumerable<PeerId> bootstrapPeers, string placement, TimeProvider time, IMeterFactory meterFactory, ILogger<TrustService> logger)
        : this(identity, options, bootstrapPeers, placement, time, meterFactory, logger, checkRecordSignatures: true)
    {
    }

    /// <summary>As the public constructor; <paramref name="checkRecordSignatures"/> false takes records unverified (tests showing what the check prevents).</summary>
    internal TrustService(
        NodeIdentity identity, PlacementOptions options, IEnumerable<PeerId> bootstrapPeers, string placement, TimeProvider time, IMeterFactory meterFactory, ILogger<TrustService> logger,
        bool checkRecordSignatures)
    {
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(meterFactory);
        _identity = identity;
        var self = _self = identity.PeerId;
        _options = options;
        _preTrusted = options.ResolvePreTrustedPeers(bootstrapPeers).Where(p => p != self).ToList();
        _placement = placement;
        _time = time;
        _logger = logger;
        var meter = meterFactory.Create(PlacementMetrics.MeterName);
        PlacementMetrics = new PlacementMetrics(meter);
        var ledger = new LocalTrustLedger(self, options);
        // One copy of each peer's key for the capacity book and the trust rows: a contact is often both.
        var keyring = new IdentityKeyring();
        Metrics = new TrustMetrics(meter, () => ledger.Count, () => Volatile.Read(ref _current).Run.Iterations);
        CapacityMetrics = new CapacityMetrics(meter);
        Observations = new TrustObservations(
            self, ledger, new PeerPerformance(self, options, time), new CapacityBook(options, CapacityMetrics, keyring, checkRecordSignatures), time, Metrics,
            TrustEvidence.From(options));
        Records = new TrustRecordCollection(self, options, _preTrusted, PlacementMetrics, keyring, checkRecordSignatures);
        ExchangeMetrics = new TrustExchangeMetrics(meter);
    }

    /// <summary>This node's signed row and the other nodes' rows <c>trust/1</c> collected.</summary>
    public TrustRecordCollection Records { get; }

    /// <summary>The <c>trust/1</c> counters.</summary>
    public TrustExchangeMetrics ExchangeMetrics { get; }

    /// <summary>Where every protocol reports how its exchanges with peers ended.</summary>
    public IInteractionObserver Interactions => Observations;

    /// <summary>The ledger and success rates the seam feeds.</summary>
    public TrustObservations Observations { get; }

    /// <summary>The trust counters.</summary>
    public TrustMetrics Metrics { get; }

    /// <summary>The capacity-record counters, on the same meter.</summary>
    public CapacityMetrics CapacityMetrics { get; }

    /// <summary>Peers' signed capacity claims and what this node observed of their room since.</summary>
    public CapacityBook Capacity => Observations.Capacity;

    /// <summary>The placement library's counters (shortfalls), on the same meter.</summary>
    public PlacementMetrics PlacementMetrics { get; }

    /// <summary>The settings trust and placement run with.</summary>
    public PlacementOptions Options => _options;

    /// <summary>How the node places its shards' holders (<c>ShardExchange:Placement</c>), for the status.</summary>
    public string Placement => _placement;

    /// <summary>The time on the node's clock.</summary>
    public DateTimeOffset Now => _time.GetUtcNow();

    /// <summary>Pre-trusted peers other than this node.</summary>
    public IReadOnlyList<PeerId> PreTrusted => _preTrusted;

    /// <summary>The latest global trust; <see cref="TrustSnapshot.Empty"/> before the first computation.</summary>
    public TrustSnapshot Current => Volatile.Read(ref _current);

    /// <summary>
    /// Computes global trust now from this node's observations and the records it holds, and makes it
    /// <see cref="Current"/>; signs the node's row anew when its record is due; and drops the records whose issuers
    /// the new computation leaves without trust (their rows would be multiplied by zero), and the capacity records too old
    /// to be weighed.
    /// </summary>
    public TrustSnapshot Recompute()
    {
        // The clock's loop and trust/1's rounds both recompute: one at a time, so the record is signed once per interval.
        lock (_recomputing)
        {
            return RecomputeNow();
        }
    }

    private TrustSnapshot RecomputeNow()
    {
        var now = _time.GetUtcNow();
        var row = Observations.Ledger.ToVector(now, _options.MaxRecordEntries);
        // With trust/1 off nobody would pull the record: signing it would be work for nothing.
        if (_options.TrustExchangeEnabled && (Records.Own is not { } own || own.IssuedAt + _options.TrustPublishInterval <= now))
        {
            Records.Publish(TrustRecord.Sign(_identity, now, row), _identity.PublicKey);
        }

        var builder = new TrustMatrixBuilder()
            .AddRow(_self, row)
            .AddRecords(Records.Book.Snapshot());
        AddPreTrust(builder, now);
        var matrix = builder.Build();
        var snapshot = EigenTrust.Compute(matrix, _options, now);
        Volatile.Write(ref _current, snapshot);
        Records.SetStanding(snapshot.TrustOf);
        Records.Prune(now);
        Capacity.Prune(now);
        Metrics.Recomputed();
        return snapshot;
    }

    /// <summary>
    /// p: uniform over this node and the other pre-trusted peers, no other peer's share above
    /// <see cref="PlacementOptions.PreTrustedPeerShareCap"/> and this node taking what the caps leave; with
    /// <see cref="PlacementOptions.RevokePreTrustOnOwnEvidence"/>, leaving out the peers this node's own evidence rates at
    /// zero: it dealt with them and they lost or lied about more than they served.
    /// </summary>
    private void AddPreTrust(TrustMatrixBuilder builder, DateTimeOffset now)
    {
        var kept = _options.RevokePreTrustOnOwnEvidence ? _preTrusted.FindAll(peer => !Observations.Caught(peer, now)) : _preTrusted;
        PreTrustedInUse = kept.Count;
        var share = Math.Min(1.0 / (kept.Count + 1), _options.PreTrustedPeerShareCap);
        builder.AddPreTrusted(_self, 1 - (share * kept.Count));
        foreach (var peer in kept)
        {
            builder.AddPreTrusted(peer, share);
        }
    }

    /// <summary>Pre-trusted peers other than this node that the last computation gave a share of p (the others were revoked by this node's own evidence).</summary>
    public int PreTrustedInUse { get; private set; }

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
            ["preTrustedInUse"] = PreTrustedInUse,
            ["peersWithTrust"] = current.Count,
            ["computedAt"] = current.Run.Iterations == 0 && current.Count == 0 ? null : current.ComputedAt.ToString("O", CultureInfo.InvariantCulture),
            ["iterations"] = current.Run.Iterations,
            ["converged"] = current.Run.Converged,
            ["recordsHeld"] = Records.Book.Count,
            ["recordsAccepted"] = PlacementMetrics.RecordsAccepted,
            ["recordsRefused"] = Enum.GetValues<TrustRecordRejection>().Sum(PlacementMetrics.RecordsRejected),
            ["capacityRecordsHeld"] = Capacity.Count,
            ["capacityRecordsAccepted"] = CapacityMetrics.AcceptedTotal,
            ["capacityRecordsRefused"] = CapacityMetrics.RejectedAll,
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
