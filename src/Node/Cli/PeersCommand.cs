using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Overlay.Node.Cli;

/// <summary><c>overlay peers</c>: lists the running node's routing table.</summary>
public sealed class PeersCommand : ICliCommand
{
    public CommandSpec Spec { get; } = Specs.Of(
        "peers", "List the running node's DHT routing table: PeerId, address, round-trip time, failures and network coordinate.",
        "overlay peers [--json] [--data-dir DIR]", ["--data-dir"], flags: ["--json"]);

    public Task<int> RunAsync(ParsedArguments args, CliContext context, CancellationToken cancellationToken) =>
        DaemonCall.ShowAsync(args, context, "peers", Format, cancellationToken);

    /// <summary>The listing as a table; fields the daemon left out print as '-'.</summary>
    internal static string Format(JsonObject reply)
    {
        var text = new StringBuilder();
        var self = reply["self"] as JsonObject;
        var region = Text(self?["region"]);
        text.Append(CultureInfo.InvariantCulture,
            $"This node: {Text(self?["peerId"])} at {Text(self?["address"])}, region {region}, coordinate {Coordinate(self?["coordinate"] as JsonObject)} (error {Number(self?["coordinateError"], "F2")})\n");
        var peers = reply["peers"] as JsonArray ?? [];
        text.Append(CultureInfo.InvariantCulture, $"{peers.Count} peer(s) in the routing table\n");
        if (peers.Count == 0)
        {
            return text.ToString();
        }

        text.Append(CultureInfo.InvariantCulture, $"{"PEERID",-52}  {"ADDRESS",-28}  {"RTT_MS",8}  {"FAILS",5}  {"LAST_SEEN_UTC",-20}  COORDINATE_MS\n");
        foreach (var node in peers)
        {
            if (node is not JsonObject p)
            {
                continue;
            }

            var lastSeen = DateTimeOffset.TryParse(Text(p["lastSeen"]), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var seen)
                ? seen.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)
                : "-";
            text.Append(CultureInfo.InvariantCulture,
                $"{Text(p["peerId"]),-52}  {Text(p["address"]),-28}  {Number(p["rttMs"], "F1"),8}  {Number(p["failedRequests"], "F0"),5}  {lastSeen,-20}  {Coordinate(p["coordinate"] as JsonObject)}\n");
        }

        return text.ToString();
    }

    private static string Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : "-";

    private static string Number(JsonNode? node, string format) =>
        node is JsonValue v && v.TryGetValue<double>(out var d) ? d.ToString(format, CultureInfo.InvariantCulture) : "-";

    private static string Coordinate(JsonObject? c) =>
        c is null ? "-" : $"({Number(c["x"], "F1")}, {Number(c["y"], "F1")}, h {Number(c["height"], "F1")})";
}
