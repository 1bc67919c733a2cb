using System.Diagnostics.Metrics;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Overlay.Dht;
using Overlay.Dht.Persistence;
using Overlay.Node.Composition;
using Overlay.Node.Configuration;
using Overlay.Node.Hosting;
using Overlay.Transport;

namespace Overlay.Node.Reachability;

/// <summary>
/// The node's <c>reach/1</c> participant. It serves peers' requests (<see cref="ReachProtocolHandler"/>) and,
/// after the join and every <c>DhtHost:ReachabilityInterval</c>, asks <c>DhtHost:ReachabilityPeers</c> contacts
/// from the routing table to dial the address the DHT announces. When none can and one tried, the node runs as
/// a DHT client (it stops announcing its address, so peers keep it out of their routing tables) and says so in
/// its log, <c>overlay status</c> and <c>overlay doctor</c>; when one can again, it announces again. A check that
/// decides nothing (no peer answered or all refused: the network may still be forming) is repeated sooner, after
/// <see cref="UndecidedRetry"/>, doubling while checks stay undecided, never beyond the interval. The clocks in
/// the answers give the node's skew against its peers. A node starts as a DHT server: the first node of a
/// network has nobody to ask, and is by definition where the others dial.
/// </summary>
public sealed class ReachabilityService(
    IOptions<DhtHostOptions> hostOptions,
    TransportService transport,
    DhtService dht,
    ProtocolDispatcher protocols,
    TimeProvider time,
    Random random,
    IMeterFactory meterFactory,
    ILogger<ReachabilityService> logger) : INodePart
{
    /// <summary>How long a dial back may take, handshake included (the asker's request must outlast it).</summary>
    public static readonly TimeSpan DialBackTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The wait after a check that decided nothing (verdict unknown, or the check failed) before the first retry;
    /// each further undecided check doubles it, up to <c>DhtHost:ReachabilityInterval</c>. One minute: the peers
    /// asked refuse a second dial back from this node sooner (<see cref="ReachProtocolHandler.PerPeerInterval"/>).
    /// </summary>
    public static readonly TimeSpan UndecidedRetry = ReachProtocolHandler.PerPeerInterval;

    private readonly object _gate = new();
    private Task<ReachabilityReport>? _checking;
    private TransportAddress? _announced;
    private ReachabilityReport _last = new(ReachabilityVerdict.Unknown, null, null, [], DhtServer: true);

    /// <summary>The counters of both sides.</summary>
    public ReachMetrics Metrics { get; } = new(meterFactory.Create(ReachMetrics.MeterName));

    /// <summary>What the last check found (before the first: unknown, DHT server).</summary>
    public ReachabilityReport Last => Volatile.Read(ref _last);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _announced = dht.Node?.Address is { } text && TransportAddress.TryParse(text, out var a, out _) ? a : null;
        Volatile.Write(ref _last, _last with { Announced = _announced?.ToString(), Verdict = _announced is null ? ReachabilityVerdict.NotListening : ReachabilityVerdict.Unknown });
        protocols.Attach(ProtocolIds.Reach, new ReachProtocolHandler(() => transport.Transports, time, Metrics, DialBackTimeout));
        return Task.CompletedTask;
    }

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        var interval = hostOptions.Value.ReachabilityInterval;
        try
        {
            // The first check as soon as the node has joined (or after one interval, for a node others join).
            // Not Task.WhenAny: its continuation can run on the thread pool, outside a simulator's scheduler.
            await Waits.CompletesWithinAsync(dht.WhenJoined, interval, time, stoppingToken).ConfigureAwait(true);

            var retry = UndecidedRetry;
            while (!stoppingToken.IsCancellationRequested)
            {
                var decided = false;
                try
                {
                    var report = await CheckAsync(stoppingToken).ConfigureAwait(true);
                    decided = report.Verdict != ReachabilityVerdict.Unknown;
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
#pragma warning disable CA1031 // A failed check is retried like an undecided one; it must not stop the node.
                catch (Exception e)
#pragma warning restore CA1031
                {
                    var kind = e.GetType().Name;
                    Log.ReachabilityCheckFailed(logger, kind, e.Message);
                }

                // An undecided node would otherwise keep its mode, and say "unknown", for a whole interval: a node
                // that joins while its peers still start would wait that long to learn it is unreachable.
                var wait = decided ? interval : Min(retry, interval);
                retry = decided ? UndecidedRetry : Min(retry * 2, interval);
                await Task.Delay(wait, time, stoppingToken).ConfigureAwait(true);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        protocols.Detach(ProtocolIds.Reach);
        return Task.CompletedTask;
    }

    /// <summary>
    /// The last report when it is younger than <paramref name="maxAge"/>, else a new check (peers refuse a
    /// second dial back within <see cref="ReachProtocolHandler.PerPeerInterval"/>, so a fresher one would only be refused).
    /// </summary>
    public async Task<ReachabilityReport> CurrentAsync(TimeSpan maxAge, CancellationToken cancellationToken)
    {
        var last = Last;
        return last.CheckedAt is { } at && time.GetUtcNow() - at < maxAge ? last : await CheckAsync(cancellationToken).ConfigureAwait(true);
    }

    /// <summary>
    /// Asks peers to dial the announced address back now, switches the DHT's mode by the verdict, and returns the
    /// report. A call while a check runs joins that check.
    /// </summary>
    public Task<ReachabilityReport> CheckAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_checking is not { IsCompleted: false } running)
            {
                running = _checking = RunCheckAsync(cancellationToken);
            }

            return running;
        }
    }

    private async Task<ReachabilityReport> RunCheckAsync(CancellationToken cancellationToken)
    {
        if (dht.Node is not { } node || _announced is not { } announced)
        {
            return Last;
        }

        var asked = PickPeers(node.SnapshotContacts(), hostOptions.Value.ReachabilityPeers);
        var probes = await Task.WhenAll(asked.Select(c => AskAsync(c, announced, cancellationToken))).ConfigureAwait(true);
        var verdict = ReachabilityReport.Judge(probes);
        var text = announced.ToString();
        var wasReachable = Last.Verdict == ReachabilityVerdict.Reachable;
        var wasServer = Last.DhtServer;
        var server = verdict switch
        {
            ReachabilityVerdict.Reachable => true,
            ReachabilityVerdict.Unreachable => false,
            _ => wasServer,
        };
        if (server != wasServer)
        {
            node.SetAnnouncedAddress(server ? announced : null);
            if (server)
            {
                Log.ReachableAgain(logger, text);
            }
            else
            {
                var reasons = Reasons(probes);
                Log.UnreachableRunningAsClient(logger, text, reasons);
            }
        }
        else if (verdict == ReachabilityVerdict.Reachable && !wasReachable)
        {
            var reasons = Reasons(probes);
            Log.ReachableServer(logger, text, reasons);
        }
        else if (verdict == ReachabilityVerdict.Unknown)
        {
            var reasons = probes.Length == 0 ? "no contact to ask" : Reasons(probes);
            Log.ReachabilityUndecided(logger, text, reasons);
        }

        Metrics.Checked(verdict);
        var report = new ReachabilityReport(verdict, text, time.GetUtcNow(), probes, server);
        Volatile.Write(ref _last, report);
        return report;
    }

    /// <summary>The reachability report, clock skew and routing-table health, as <c>overlay status</c> and <c>overlay doctor</c> read them.</summary>
    public JsonObject ToJson(ReachabilityReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var json = report.ToJson();
        json["requestsServed"] = Metrics.Answered(ReachStatus.Time) + Metrics.Answered(ReachStatus.Reachable) + Metrics.Answered(ReachStatus.Unreachable);
        json["requestsRefused"] = Metrics.Refused;
        var skew = ClockSkew.Of(report.Probes);
        var clock = skew is { } s ? new JsonObject { ["peers"] = s.Peers, ["skewMs"] = s.MedianMs, ["errorMs"] = Math.Round(s.ErrorMs, 1) } : null;
        JsonObject? routing = null;
        if (dht.Node is { } node)
        {
            var health = RoutingHealth.Of(node.Id, node.SnapshotContacts());
            routing = new JsonObject
            {
                ["contacts"] = health.Contacts,
                ["bucketsFilled"] = health.BucketsFilled,
                ["stale"] = health.Stale,
                ["oldestSeen"] = health.OldestSeen?.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            };
        }

        return new JsonObject { ["reachability"] = json, ["clock"] = clock, ["routing"] = routing };
    }

    /// <summary>Contacts with an address, those that answered their last request first, in a random order within each group.</summary>
    private List<ContactSnapshot> PickPeers(IReadOnlyList<ContactSnapshot> contacts, int count)
    {
        var candidates = contacts.Where(c => c.Address is not null).ToArray();
        random.Shuffle(candidates);
        return [.. candidates.OrderBy(c => c.FailedRequests > 0 ? 1 : 0).Take(count)];
    }

    private async Task<ReachProbe> AskAsync(ContactSnapshot contact, TransportAddress announced, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        try
        {
            var connection = await transport.Pool.GetAsync(TransportAddress.Parse(contact.Address!).WithPeer(contact.Id), cancellationToken).ConfigureAwait(true);
            // The clock from a TIME request first: its round trip, and so the skew's error, does not include the dial back.
            var clock = await ReachClient.AskAsync(connection, null, time, cancellationToken).ConfigureAwait(true);
            var dialBack = await ReachClient.AskAsync(connection, announced, time, cancellationToken).ConfigureAwait(true);
            return clock.Answer is null ? dialBack : dialBack with { RoundTripMs = clock.RoundTripMs, SkewMs = clock.SkewMs };
        }
        catch (TransportException e)
        {
            return new ReachProbe(contact.Id, null, $"{e.Reason}: {e.Message}", time.GetElapsedTime(started).TotalMilliseconds, double.NaN);
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static string Reasons(IEnumerable<ReachProbe> probes) =>
        string.Join("; ", probes.Select(p => $"{p.Peer.ToShortString()}: {(p.Answer is { } a ? ReachMetrics.Tag(a.Status) + (a.DialError is { } e ? $" ({e})" : "") : p.Failure)}"));
}
