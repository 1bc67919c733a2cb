using System.Globalization;
using System.Text.Json.Nodes;
using Overlay.Crypto;
using Overlay.Node.Configuration;
using Overlay.Node.Hosting;
using Overlay.Node.Shards;
using Overlay.Storage;

namespace Overlay.Node.Control;

/// <summary>
/// The control commands of <c>overlay shard</c>: <c>shard-put</c> (the bytes as the value),
/// <c>shard-get</c>, <c>shard-status</c> and <c>shard-audit</c> (the shard id as the key), carried out
/// by the node's <see cref="ShardExchangeService"/>.
/// </summary>
public sealed class ShardControlCommands(ShardExchangeService shards, ControlOptions controlOptions, TimeProvider time) : IControlCommands
{
    /// <summary>Whether <paramref name="command"/> is one of these.</summary>
    public static bool Serves(string command) => command is "shard-put" or "shard-get" or "shard-status" or "shard-audit";

    public async Task<ControlReply> ExecuteAsync(ControlRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (shards.Owner is not { } owner)
        {
            return ControlReply.Fail(ControlError.Unavailable, "The shard exchange is not running (the daemon is starting or stopping).");
        }

        using var timeout = new CancellationTokenSource(controlOptions.OperationTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            if (request.Command == "shard-put")
            {
                return await PutAsync(owner, request.Value, linked.Token).ConfigureAwait(false);
            }

            if (!ShardId.TryParse(request.Key, out var id))
            {
                return ControlReply.Fail(ControlError.BadArgument, "A shard id is 64 hexadecimal characters (as 'overlay shard put' prints it).");
            }

            switch (request.Command)
            {
                case "shard-get":
                    var (data, attempts) = await owner.GetAsync(id, linked.Token).ConfigureAwait(false);
                    return ControlReply.Ok(new JsonObject { ["id"] = id.ToString(), ["bytes"] = data.Length, ["data"] = Convert.ToBase64String(data), ["attempts"] = Attempts(attempts) });
                case "shard-audit":
                    return ControlReply.Ok(Status(await owner.AuditAsync(id, linked.Token).ConfigureAwait(false)));
                default:
                    return owner.Status(id) is { } shard
                        ? ControlReply.Ok(Status(shard))
                        : ControlReply.Fail(ControlError.NotFound, $"This node did not place shard {id}.");
            }
        }
        catch (ShardExchangeException e) when (e.Refusal == ShardRefusal.NotFound)
        {
            return ControlReply.Fail(ControlError.NotFound, e.Message);
        }
        catch (ShardBookException e)
        {
            return ControlReply.Fail(ControlError.Internal, e.Message);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return ControlReply.Fail(ControlError.Timeout, string.Create(CultureInfo.InvariantCulture,
                $"The {request.Command} did not finish within {controlOptions.OperationTimeout.TotalSeconds:0.#} s (Control:OperationTimeout)."));
        }
    }

    private async Task<ControlReply> PutAsync(ShardOwner owner, byte[]? value, CancellationToken cancellationToken)
    {
        if (value is null)
        {
            return ControlReply.Fail(ControlError.BadArgument, "A shard put needs the shard's bytes.");
        }

        if (value.Length > shards.MaxShardBytes)
        {
            return ControlReply.Fail(ControlError.ValueTooLarge, string.Create(CultureInfo.InvariantCulture,
                $"The shard is {value.Length} bytes; this node's Storage:MaxShardBytes allows at most {shards.MaxShardBytes}."));
        }

        var outcome = await owner.PutAsync(value, cancellationToken).ConfigureAwait(false);
        var body = new JsonObject
        {
            ["id"] = outcome.Id.ToString(),
            ["bytes"] = outcome.Size,
            ["holders"] = Holders(outcome.Holders),
            ["attempts"] = Attempts(outcome.Attempts),
        };
        return outcome.Holders.Count > 0
            ? ControlReply.Ok(body)
            : ControlReply.Fail(ControlError.TooFewReplicas, $"No peer kept shard {outcome.Id}: " + (outcome.Attempts.Count == 0
                ? "the routing table holds no peer yet."
                : string.Join("; ", outcome.Attempts.Select(a => $"{a.Peer.ToShortString()}: {a.Detail}"))));
    }

    private JsonObject Status(OwnedShard shard) => new()
    {
        ["id"] = shard.Id.ToString(),
        ["bytes"] = shard.Size,
        ["holders"] = Holders(shard.Holders),
        ["counters"] = shards.Metrics.ToJson(),
    };

    private static JsonArray Holders(IEnumerable<ShardHolding> holders)
    {
        var array = new JsonArray();
        foreach (var h in holders)
        {
            var entry = new JsonObject
            {
                ["peerId"] = h.Peer.ToString(),
                ["address"] = h.Address,
                ["challengesLeft"] = h.Challenges.Count,
                ["lastAudit"] = h.LastAuditAt?.ToString("O", CultureInfo.InvariantCulture),
                ["lastAuditPassed"] = h.LastAuditPassed,
                ["lastAuditDetail"] = h.LastAuditDetail,
            };
            if (StorageReceipt.TryDecode(h.Receipt, out var receipt, out _))
            {
                entry["receipt"] = new JsonObject
                {
                    ["expires"] = receipt.ExpiresAt.ToString("O", CultureInfo.InvariantCulture),
                    ["sequence"] = receipt.Sequence,
                    ["size"] = receipt.Size,
                    ["owner"] = receipt.Owner.ToString(),
                    ["signatureBytes"] = receipt.Signature.Length,
                };
            }

            array.Add((JsonNode)entry);
        }

        return array;
    }

    private static JsonArray Attempts(IEnumerable<HolderAttempt> attempts)
    {
        var array = new JsonArray();
        foreach (var a in attempts)
        {
            array.Add((JsonNode)new JsonObject { ["peerId"] = a.Peer.ToString(), ["result"] = a.Refusal == ShardRefusal.None ? "ok" : ShardCodec.Tag(a.Refusal), ["detail"] = a.Detail });
        }

        return array;
    }
}
