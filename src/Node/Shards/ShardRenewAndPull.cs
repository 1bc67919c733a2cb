using System.Globalization;
using Overlay.Crypto;
using Overlay.Node.Configuration;
using Overlay.Storage;
using Overlay.Transport;

namespace Overlay.Node.Shards;

/// <summary>
/// The holder's side of the two operations an owner's maintenance sends (docs/PROTOCOL.md, "Renewal"
/// and "Repair"). Renew extends the opener's hold without the bytes. Pull copies a shard from a
/// surviving holder the opener names, verified against its id, and keeps it for the opener: the bytes
/// go holder to holder, never through the owner. A pull is admitted like a store (willing, size, the
/// opener's rate and quota) before the source is dialled, so it can make a node fetch no more than a
/// store could make it accept.
/// </summary>
internal sealed class ShardRenewAndPull(
    PeerId self,
    IShardStore store,
    int maxShardBytes,
    ShardExchangeOptions options,
    StoreAdmission admission,
    ReceiptIssuer receipts,
    Func<TransportAddress, CancellationToken, ValueTask<ITransportConnection>>? connect,
    TimeProvider time,
    ShardExchangeMetrics metrics,
    Action<ShardId>? held)
{
    /// <summary>Renews the opener's hold; on success the receipt has been written, else the refusal is returned.</summary>
    public async ValueTask<(ShardRefusal Refusal, string Reason)> RenewAsync(TransportStream stream, PeerId peer, ShardRequest request, CancellationToken token)
    {
        var now = time.GetUtcNow();
        if (request.ExpiresAt <= now)
        {
            return (ShardRefusal.Unwilling, "The expiry asked for is already past.");
        }

        if (!store.TryGetInfo(request.Id, out var info))
        {
            return (ShardRefusal.NotFound, "This node does not hold the shard.");
        }

        var granted = Grant(request.ExpiresAt, now);
        bool renewed;
        try
        {
            renewed = await store.RenewAsync(request.Id, granted, peer, token);
        }
        catch (StorageException e)
        {
            return ReceiptIssuer.RefusalOf(e.Reason);
        }

        if (!renewed)
        {
            // The shard is here, but not for this opener: it must store it (and be charged) first.
            return (ShardRefusal.NotFound, "This node keeps the shard for others, not for you.");
        }

        await stream.WriteAsync(receipts.Reply(request.Id, (int)info.Size, peer, granted, now), token);
        await stream.CompleteWritesAsync(token);
        metrics.Renewed();
        return (ShardRefusal.None, string.Empty);
    }

    /// <summary>Copies the shard from the request's source and keeps it for the opener; on success the receipt has been written.</summary>
    public async ValueTask<(ShardRefusal Refusal, string Reason)> PullAsync(TransportStream stream, PeerId peer, TransportAddress remote, ShardRequest request, CancellationToken token)
    {
        if (connect is null)
        {
            return (ShardRefusal.Unwilling, "This node copies no shards from other holders.");
        }

        var now = time.GetUtcNow();
        if (request.ExpiresAt <= now)
        {
            return (ShardRefusal.Unwilling, "The expiry asked for is already past.");
        }

        var (refusal, reason, scope, ticket) = admission.Admit(store, peer, remote, request.Id, request.Size);
        if (refusal != ShardRefusal.None)
        {
            if (refusal == ShardRefusal.Quota)
            {
                metrics.QuotaRefused(scope);
            }

            return (refusal, reason);
        }

        using var admitted = ticket;

        if (!TransportAddress.TryParse(request.Source!, out var source, out _) || source.ExpectedPeer is not { } sourcePeer || sourcePeer == self)
        {
            metrics.PullRefused(PullProblem.BadSource);
            return (ShardRefusal.Malformed, "The source is not an address with /p2p/PEERID of another node.");
        }

        byte[] data;
        if (store.TryGetInfo(request.Id, out var local) && local.Size == request.Size)
        {
            // Kept here already (for someone else): the opener's hold needs no copy.
            data = new byte[request.Size];
            if (store.Read(request.Id, data).Status != ShardReadStatus.Found)
            {
                return (ShardRefusal.Failed, "This node could not read its copy of the shard.");
            }
        }
        else
        {
            try
            {
                var fetcher = new ShardFetcher(new ShardExchangeClient(self, options.StreamTimeout / 2, time), connect, Math.Min(maxShardBytes, Math.Max(request.Size, 1)));
                (data, _) = await fetcher.FetchAsync(request.Id, [new HolderCandidate(sourcePeer, source)], token);
            }
            catch (ShardExchangeException e)
            {
                metrics.PullRefused(PullProblem.SourceFailed);
                return (ShardRefusal.NotFound, string.Create(CultureInfo.InvariantCulture, $"The source did not give the shard: {e.Message}"));
            }

            if (data.Length != request.Size)
            {
                metrics.PullRefused(PullProblem.SizeMismatch);
                return (ShardRefusal.Size, string.Create(CultureInfo.InvariantCulture, $"The shard is {data.Length} bytes, not the {request.Size} announced."));
            }
        }

        var granted = Grant(request.ExpiresAt, now);
        try
        {
            await store.PutAsync(data, new ShardPutOptions(granted, Owner: peer, OwnerCapacityBytes: options.MaxBytesPerPeer, ExpectedId: request.Id), token);
        }
        catch (StorageException e)
        {
            return ReceiptIssuer.RefusalOf(e.Reason);
        }

        await stream.WriteAsync(receipts.Reply(request.Id, request.Size, peer, granted, now), token);
        await stream.CompleteWritesAsync(token);
        metrics.Held(request.Size);
        metrics.Pulled(request.Size);
        held?.Invoke(request.Id);
        return (ShardRefusal.None, string.Empty);
    }

    private DateTimeOffset Grant(DateTimeOffset asked, DateTimeOffset now) =>
        asked < now + options.MaxHoldDuration ? asked : now + options.MaxHoldDuration;
}
