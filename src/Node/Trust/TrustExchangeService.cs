using Microsoft.Extensions.Logging;
using Overlay.Dht.Persistence;
using Overlay.Node.Composition;
using Overlay.Node.Hosting;
using Overlay.Placement;
using Overlay.Placement.Trust;
using Overlay.Transport;
using Overlay.Transport.Interactions;

namespace Overlay.Node.Trust;

/// <summary>
/// The node's <c>trust/1</c> participant. It serves the records the trust part holds
/// (<see cref="TrustExchangeHandler"/>) and every <see cref="PlacementOptions.TrustExchangeInterval"/> pulls what it
/// lacks from <see cref="PlacementOptions.TrustExchangePeers"/> contacts of the routing table drawn at random
/// (<see cref="TrustExchangeClient"/>); after a round that brought records it recomputes global trust, so the next
/// round takes in the issuers the new records gave trust to. Each pull is one exchange on the interaction seam
/// (operation <c>pull</c>), so a peer that relays forged records loses trust like one that answers any request wrongly.
/// Each round it also asks up to <see cref="PlacementOptions.CapacityPullsPerRound"/> contacts without a fresh capacity
/// record for theirs (operation <c>capacity</c>), and serves its own (<see cref="OwnCapacityRecord"/>).
/// </summary>
/// <remarks>
/// Pull, not push: a node asks for what it lacks when it has room, so nobody can make it take records it did not
/// ask for; a peer's records arrive once per version (the inventory lists versions, and only newer ones are
/// fetched); and a peer that withholds records is passed by, since every round asks other peers.
/// </remarks>
public sealed class TrustExchangeService(
    TrustService trust,
    OwnCapacityRecord ownCapacity,
    TransportService transport,
    DhtService dht,
    ProtocolDispatcher protocols,
    int maxFrameBytes,
    TimeProvider time,
    Random random,
    ILogger<TrustExchangeService> logger) : INodePart
{
    /// <summary>Operation name of a pull on the interaction seam.</summary>
    public const string PullOperation = "pull";

    /// <summary>Operation name of a capacity ask on the interaction seam.</summary>
    public const string CapacityOperation = "capacity";

    // Room left in a frame for the transport's own header.
    private const int FrameHeadroom = 64;

    private readonly TrustServeBudget _budget = new(trust.Options.TrustServeBytesPerPeerPerHour, time);

    /// <summary>The largest RECORDS answer served and accepted: a record of <see cref="PlacementOptions.MaxRecordEntries"/> entries with its key, within a frame.</summary>
    public int MaxAnswerBytes => Math.Min(maxFrameBytes - FrameHeadroom, 1 << 20);

    /// <summary>The counters of both sides.</summary>
    public TrustExchangeMetrics Metrics => trust.ExchangeMetrics;

    /// <inheritdoc/>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!trust.Options.TrustExchangeEnabled)
        {
            // Not attached: a peer asking is refused as for any protocol this node does not speak.
            Log.TrustExchangeDisabled(logger);
            return Task.CompletedTask;
        }

        protocols.Attach(ProtocolIds.Trust, new TrustExchangeHandler(trust.Records, _budget, Metrics, MaxAnswerBytes, ownCapacity));
        var options = trust.Options;
        Log.TrustExchangeStarted(logger, options.TrustExchangePeers, options.TrustExchangeInterval, options.TrustPublishInterval, options.MaxTrustRecords);
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        if (!trust.Options.TrustExchangeEnabled || (trust.Options.TrustExchangePeers == 0 && trust.Options.CapacityPullsPerRound == 0))
        {
            return;
        }

        using var timer = new PeriodicTimer(trust.Options.TrustExchangeInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(true))
            {
                try
                {
                    await PullRoundAsync(stoppingToken).ConfigureAwait(true);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
#pragma warning disable CA1031 // A failed round is our bug: logged at Error, and the next round goes on.
                catch (Exception e)
#pragma warning restore CA1031
                {
                    Log.TrustExchangeRoundFailed(logger, e.GetType().Name, e.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    /// <inheritdoc/>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        if (trust.Options.TrustExchangeEnabled)
        {
            protocols.Detach(ProtocolIds.Trust);
        }

        return Task.CompletedTask;
    }

    /// <summary>Pulls from <see cref="PlacementOptions.TrustExchangePeers"/> contacts now, one after another, and recomputes trust when records arrived; returns the pulls.</summary>
    public async Task<IReadOnlyList<TrustPullResult>> PullRoundAsync(CancellationToken cancellationToken)
    {
        if (dht.Node is not { } node)
        {
            return [];
        }

        var contacts = node.SnapshotContacts().Where(c => c.Address is not null && c.Id != node.Id).ToArray();
        random.Shuffle(contacts);
        var maxRecordBytes = Math.Min(MaxAnswerBytes, TrustRecordCodec.MaxEncodedLength(trust.Options.MaxRecordEntries));
        var pulls = new List<TrustPullResult>();
        foreach (var contact in contacts.Take(trust.Options.TrustExchangePeers))
        {
            pulls.Add(await PullAsync(contact, maxRecordBytes, cancellationToken).ConfigureAwait(true));
        }

        if (pulls.Any(p => p.Accepted > 0))
        {
            trust.Recompute();
        }

        await AskCapacityAsync(contacts, cancellationToken).ConfigureAwait(true);
        return pulls;
    }

    /// <summary>Asks up to <see cref="PlacementOptions.CapacityPullsPerRound"/> of <paramref name="contacts"/> (already shuffled) that lack a fresh capacity record for theirs; returns the asks.</summary>
    public async Task<IReadOnlyList<CapacityPullResult>> AskCapacityAsync(IReadOnlyList<ContactSnapshot> contacts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(contacts);
        var asks = new List<CapacityPullResult>();
        var now = time.GetUtcNow();
        foreach (var contact in contacts)
        {
            if (asks.Count >= trust.Options.CapacityPullsPerRound)
            {
                break;
            }

            if (!trust.Capacity.Wants(contact.Id, now))
            {
                continue;
            }

            CapacityPullResult ask;
            var started = time.GetTimestamp();
            try
            {
                var connection = await transport.Pool.GetAsync(TransportAddress.Parse(contact.Address!).WithPeer(contact.Id), cancellationToken).ConfigureAwait(true);
                ask = await CapacityExchangeClient.PullAsync(connection, trust.Capacity, time, cancellationToken).ConfigureAwait(true);
            }
            catch (TransportException e)
            {
                var result = e.Reason == TransportError.Timeout ? InteractionResult.TimedOut : InteractionResult.Unreachable;
                ask = new CapacityPullResult(contact.Id, result, Placement.Capacity.CapacityRecordRejection.None, 0, 0, time.GetElapsedTime(started));
            }

            trust.Interactions.Observe(new InteractionOutcome(ask.Peer, ProtocolIds.Trust, CapacityOperation, ask.Result, ask.BytesSent, ask.BytesReceived, ask.Latency));
            asks.Add(ask);
        }

        return asks;
    }

    private async Task<TrustPullResult> PullAsync(ContactSnapshot contact, int maxRecordBytes, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        TrustPullResult pull;
        try
        {
            var connection = await transport.Pool.GetAsync(TransportAddress.Parse(contact.Address!).WithPeer(contact.Id), cancellationToken).ConfigureAwait(true);
            pull = await TrustExchangeClient.PullAsync(connection, trust.Records, maxRecordBytes, time, cancellationToken).ConfigureAwait(true);
        }
        catch (TransportException e)
        {
            var result = e.Reason == TransportError.Timeout ? InteractionResult.TimedOut : InteractionResult.Unreachable;
            pull = new TrustPullResult(contact.Id, result, 0, 0, 0, 0, 0, 0, time.GetElapsedTime(started));
        }

        Metrics.Pulled(pull);
        trust.Interactions.Observe(new InteractionOutcome(pull.Peer, ProtocolIds.Trust, PullOperation, pull.Result, pull.BytesSent, pull.BytesReceived, pull.Latency));
        Log.TrustPulled(logger, pull.Peer, pull.Result, pull.Listed, pull.RecordsFetched, pull.Accepted, pull.Refused, pull.BytesReceived);
        return pull;
    }
}
