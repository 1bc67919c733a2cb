using System.Globalization;
using System.Text.Json.Nodes;
using Overlay.Crypto;
using Overlay.Dht;
using Overlay.Dht.Coordinates;
using Overlay.Dht.Persistence;
using Overlay.Dht.Records;
using Overlay.Node.Configuration;
using Overlay.Node.Hosting;

namespace Overlay.Node.Control;

/// <summary>
/// The control commands of a running node: put, get, peers and id, carried out on its DHT, and status,
/// answered by <paramref name="status"/> (null: a node without it answers UnknownCommand).
/// </summary>
public sealed class DhtControlCommands(DhtService dht, DhtOptions dhtOptions, ControlOptions controlOptions, NodeOptions nodeOptions, TimeProvider time, Func<JsonObject>? status = null) : IControlCommands
{
    public async Task<ControlReply> ExecuteAsync(ControlRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Command == "status" && status is not null)
        {
            // Answered while the DHT starts or stops too: that is when an operator most wants to look.
            return ControlReply.Ok(status());
        }

        if (request.Command is not ("put" or "get" or "peers" or "id"))
        {
            return ControlReply.Fail(ControlError.UnknownCommand, $"'{Shorten(request.Command)}' is not a control command; the commands are put, get, peers, id, status, shard-put, shard-get, shard-status, shard-audit and reachability.");
        }

        if (dht.Node is not { } node)
        {
            return ControlReply.Fail(ControlError.Unavailable, "The DHT is not running (the daemon is starting or stopping).");
        }

        switch (request.Command)
        {
            case "id":
                return ControlReply.Ok(new JsonObject { ["peerId"] = node.Id.ToString(), ["address"] = node.Address, ["maxValueBytes"] = dhtOptions.MaxValueBytes });
            case "peers":
                return ControlReply.Ok(Peers(node));
        }

        if (!DhtKeys.TryFromText(request.Key, out var key, out var keyError))
        {
            return ControlReply.Fail(ControlError.BadArgument, keyError);
        }

        using var timeout = new CancellationTokenSource(controlOptions.OperationTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            if (request.Command == "put")
            {
                if (request.Value is null)
                {
                    return ControlReply.Fail(ControlError.BadArgument, "A put needs a value.");
                }

                if (request.Value.Length > dhtOptions.MaxValueBytes)
                {
                    return ControlReply.Fail(ControlError.ValueTooLarge, string.Create(CultureInfo.InvariantCulture,
                        $"The value is {request.Value.Length} bytes; this node's Dht:MaxValueBytes allows at most {dhtOptions.MaxValueBytes}."));
                }

                return await PutAsync(node, key, request.Value, linked.Token).ConfigureAwait(false);
            }

            var record = await node.GetAsync(key, linked.Token).ConfigureAwait(false);
            if (record is null)
            {
                return ControlReply.Fail(ControlError.NotFound, $"No value is stored under key {key}.");
            }

            return ControlReply.Ok(new JsonObject
            {
                ["key"] = key.ToString(),
                ["value"] = Convert.ToBase64String(record.Value.Span),
                ["sequence"] = record.Sequence,
                ["expires"] = record.Expires.ToString("O", CultureInfo.InvariantCulture),
            });
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Our own deadline, or a request timeout inside the lookup that surfaced: either way the network was too slow.
            return ControlReply.Fail(ControlError.Timeout, string.Create(CultureInfo.InvariantCulture,
                $"The {request.Command} did not finish within {controlOptions.OperationTimeout.TotalSeconds:0.#} s (Control:OperationTimeout)."));
        }
    }

    /// <summary>
    /// A put through the node: acknowledged (ok) only when the node saved the value and at least the
    /// required number of peers accepted it. Otherwise a typed failure: <see cref="ControlError.TooFewReplicas"/>
    /// with the counts and the refusal reasons, <see cref="ControlError.Refused"/> when the node would not
    /// keep it, <see cref="ControlError.NotSaved"/> when dht.db could not be written.
    /// </summary>
    private static async Task<ControlReply> PutAsync(DhtNode node, PeerId key, byte[] value, CancellationToken cancellationToken)
    {
        PutResult result;
        try
        {
            result = await node.PutAsync(key, value, cancellationToken).ConfigureAwait(false);
        }
        catch (DhtStateException e)
        {
            return ControlReply.Fail(ControlError.NotSaved, $"The node could not save the value, so the put is not acknowledged: {e.Message}");
        }

        if (result.Local != RecordRejection.None)
        {
            return ControlReply.Fail(ControlError.Refused, result.Local switch
            {
                RecordRejection.PublisherMismatch => $"The node holds another publisher's value under key {key}; only that publisher may replace it before it expires.",
                RecordRejection.StoreFull => "The node holds as many records as Dht:MaxRecords allows; the value was not stored.",
                _ => $"The node refused the value ({result.Local}).",
            });
        }

        var body = new JsonObject
        {
            ["key"] = key.ToString(),
            ["storedOn"] = result.StoredOn,
            ["required"] = result.Required,
            ["bytes"] = value.Length,
            ["refusals"] = Refusals(result),
        };
        if (result.Succeeded)
        {
            return ControlReply.Ok(body);
        }

        var reasons = string.Join(", ", result.RefusalCounts().Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Value} {r.Key}")));
        return ControlReply.Fail(ControlError.TooFewReplicas, string.Create(CultureInfo.InvariantCulture,
            $"Only {result.StoredOn} of the {result.Required} peers a put needs accepted the value ({(reasons.Length == 0 ? "no peer was reached" : "refusals: " + reasons)}, after {result.Rounds} round(s)); it is kept on this node and those peers, and a later put or the node's republishing may reach more."), body);
    }

    // Typed, by reason: {"RateLimited": 3, "NoAnswer": 1}.
    private static JsonObject Refusals(PutResult result)
    {
        var refusals = new JsonObject();
        foreach (var (reason, count) in result.RefusalCounts())
        {
            refusals[reason.ToString()] = count;
        }

        return refusals;
    }

    private JsonObject Peers(DhtNode node)
    {
        var (coordinate, error) = node.CurrentCoordinate();
        var peers = new JsonArray();
        foreach (var c in node.SnapshotContacts())
        {
            peers.Add((JsonNode)new JsonObject
            {
                ["peerId"] = c.Id.ToString(),
                ["address"] = c.Address,
                ["rttMs"] = Finite(c.LatencyMs),
                ["lastSeen"] = c.LastSeen.ToString("O", CultureInfo.InvariantCulture),
                ["failedRequests"] = c.FailedRequests,
                ["coordinate"] = c.Coordinate is { } peer ? Coordinate(peer) : null,
                ["predictedRttMs"] = c.Coordinate is { } p ? Finite(coordinate.DistanceTo(p)) : null,
            });
        }

        return new JsonObject
        {
            ["self"] = new JsonObject
            {
                ["peerId"] = node.Id.ToString(),
                ["address"] = node.Address,
                ["region"] = nodeOptions.Region.Length == 0 ? null : nodeOptions.Region,
                ["coordinate"] = Coordinate(coordinate),
                ["coordinateError"] = Finite(error),
            },
            ["peers"] = peers,
        };
    }

    private static JsonObject Coordinate(VivaldiCoordinate c) => new()
    {
        ["x"] = Finite(c.X),
        ["y"] = Finite(c.Y),
        ["height"] = Finite(c.Height),
    };

    // JSON has no NaN: an unmeasured value is null.
    private static JsonValue? Finite(double value) => double.IsFinite(value) ? JsonValue.Create(Math.Round(value, 3)) : null;

    private static string Shorten(string text) => text.Length <= 32 ? text : string.Concat(text.AsSpan(0, 29), "...");
}
