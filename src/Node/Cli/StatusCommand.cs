using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Overlay.Node.Cli;

/// <summary><c>overlay status</c>: a summary of the running node, asked of it over the control API.</summary>
public sealed class StatusCommand : ICliCommand
{
    public CommandSpec Spec { get; } = Specs.Of(
        "status", "Summarise the running node: PeerId, uptime, addresses, peers, records, shards and bytes stored, trust, peers' capacity records, repairs of its own shards, reachability, clock skew, routing table, the metrics endpoint; with ID, the health of stored content.",
        "overlay status [ID] [--json] [--data-dir DIR]", ["--data-dir"], flags: ["--json"], maxPositionals: 1);

    public Task<int> RunAsync(ParsedArguments args, CliContext context, CancellationToken cancellationToken) => args.Positionals.Count == 0
        ? DaemonCall.ShowAsync(args, context, "status", Format, cancellationToken)
        : ContentStatus.ShowAsync(args, context, args.Positionals[0], cancellationToken);

    /// <summary>The status as lines for a person; a part the daemon left out (not running yet) prints as '-'.</summary>
    internal static string Format(JsonObject reply)
    {
        var text = new StringBuilder();
        var uptime = reply["uptimeSeconds"] is JsonValue u && u.TryGetValue<double>(out var seconds)
            ? TimeSpan.FromSeconds(Math.Floor(seconds)).ToString("c", CultureInfo.InvariantCulture) : "-";
        text.Append(CultureInfo.InvariantCulture, $"Node        {Text(reply["peerId"])}, up {uptime}\n");
        var listening = reply["listening"] is JsonArray l ? string.Join(", ", l.Select(a => Text(a))) : "-";
        text.Append(CultureInfo.InvariantCulture, $"Listening   {(listening.Length == 0 ? "-" : listening)}; announced as {Text(reply["announced"])}\n");
        text.Append(CultureInfo.InvariantCulture, $"Connections {Text(reply["connections"])}\n");
        if (reply["dht"] is JsonObject dht)
        {
            var joined = dht["joined"] is JsonValue j && j.TryGetValue<bool>(out var b) && b ? "joined" : "not joined (no peer has answered yet)";
            text.Append(CultureInfo.InvariantCulture,
                $"DHT         {joined}; {Text(dht["contacts"])} contacts, {Text(dht["records"])} records held; requests served {Text(dht["requestsServed"])}, refused {Text(dht["requestsRefused"])}\n");
        }
        else
        {
            text.Append("DHT         not running (starting or stopping)\n");
        }

        if (reply["storage"] is JsonObject s)
        {
            text.Append(CultureInfo.InvariantCulture,
                $"Storage     {Text(s["shards"])} shards, {Bytes(s["usedBytes"])} of {Bytes(s["capacityBytes"])} quota; database files {Bytes(s["fileBytes"])}\n");
        }
        else
        {
            text.Append("Storage     not open\n");
        }

        if (reply["trust"] is JsonObject t)
        {
            var exchanges = t["exchanges"] as JsonObject;
            var failed = 0L;
            foreach (var key in new[] { "TimedOut", "InvalidReply", "Unreachable" })
            {
                failed += exchanges?[key] is JsonValue f && f.TryGetValue<long>(out var n) ? n : 0;
            }

            text.Append(CultureInfo.InvariantCulture,
                $"Trust       {Text(t["peersObserved"])} peers observed, {Text(t["peersWithTrust"])} with global trust ({Text(t["preTrusted"])} pre-trusted), computed {Text(t["computedAt"])}; exchanges: {Text(exchanges?["Succeeded"])} good, {failed} failed, {Text(exchanges?["Refused"])} refused; {Text(t["recordsHeld"])} peers' records held ({Text(t["recordsRefused"])} refused); holders placed by {Text(t["placement"])}\n");
        }
        else
        {
            text.Append("Trust       not running (starting or stopping)\n");
        }

        var trust = reply["trust"] as JsonObject;
        text.Append(CultureInfo.InvariantCulture,
            $"Capacity    {Text(trust?["capacityRecordsHeld"])} peers' capacity records held; since start {Text(trust?["capacityRecordsAccepted"])} accepted, {Text(trust?["capacityRecordsRefused"])} refused\n");

        var peers = reply["forPeers"] as JsonObject;
        text.Append(CultureInfo.InvariantCulture,
            $"For peers   {Text(peers?["storesAccepted"])} stores accepted ({Bytes(peers?["storedBytes"])}) and {Text(peers?["fetchesServed"])} fetches served since start\n");
        var repairs = reply["repairs"] as JsonObject;
        text.Append(CultureInfo.InvariantCulture,
            $"Repairs     {Text(repairs?["inFlight"])} in flight; since start {Text(repairs?["suspects"])} holders suspected, {Text(repairs?["started"])} repairs started, {Text(repairs?["finished"])} finished, {Text(repairs?["failed"])} found no new holder\n");
        text.Append(CultureInfo.InvariantCulture, $"Reach       {Reach(reply["reachability"] as JsonObject)}\n");
        text.Append(reply["clock"] is JsonObject clock
            ? string.Create(CultureInfo.InvariantCulture, $"Clock       {Text(clock["skewMs"])} ms against {Text(clock["peers"])} peer(s) (±{Text(clock["errorMs"])} ms; positive: this node is behind)\n")
            : "Clock       not measured yet (no peer has answered a reach/1 request)\n");
        var routing = reply["routing"] as JsonObject;
        text.Append(CultureInfo.InvariantCulture, $"Routing     {Text(routing?["contacts"])} contacts in {Text(routing?["bucketsFilled"])} buckets, {Text(routing?["stale"])} stale\n");
        var metrics = reply["metrics"] as JsonObject;
        var endpoint = Text(metrics?["url"]) is var url && url != "-" ? url
            : Text(metrics?["problem"]) is var problem && problem != "-" ? "not served: " + problem : "off (Metrics:Listen is empty)";
        text.Append(CultureInfo.InvariantCulture, $"Metrics     {endpoint}\n");
        return text.ToString();
    }

    private static string Reach(JsonObject? reach)
    {
        if (reach is null)
        {
            return "-";
        }

        var mode = Text(reach["dhtMode"]) == "client" ? "DHT client (not in peers' routing tables)" : "DHT server";
        var probes = reach["probes"] as JsonArray;
        var dialled = probes?.Count(p => p is JsonObject o && Text(o["result"]) == "reachable") ?? 0;
        return Text(reach["verdict"]) switch
        {
            "reachable" => $"reachable at {Text(reach["announced"])}, {mode}; {dialled} of {probes?.Count ?? 0} peer(s) dialled back at {Text(reach["checkedAt"])}",
            "unreachable" => $"UNREACHABLE at {Text(reach["announced"])}: no peer could dial it; {mode}; checked {Text(reach["checkedAt"])}",
            "not_listening" => "announces no address (listens nowhere dialable)",
            _ => $"not known yet at {Text(reach["announced"])} (no peer has given a verdict); {mode}",
        };
    }

    private static string Text(JsonNode? node) => node switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonValue v when v.TryGetValue<long>(out var n) => n.ToString(CultureInfo.InvariantCulture),
        JsonValue v when v.TryGetValue<double>(out var d) => d.ToString(CultureInfo.InvariantCulture),
        _ => "-",
    };

    /// <summary>Bytes in binary units with one decimal: 1.5 GiB.</summary>
    internal static string Bytes(JsonNode? node)
    {
        if (node is not JsonValue v || !v.TryGetValue<long>(out var bytes))
        {
            return "-";
        }

        string[] units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
        var value = (double)bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0 ? $"{bytes} B" : string.Create(CultureInfo.InvariantCulture, $"{value:F1} {units[unit]}");
    }
}
