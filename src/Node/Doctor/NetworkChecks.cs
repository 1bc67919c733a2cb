using System.Globalization;
using System.Text.Json.Nodes;
using Overlay.Node.Reachability;

namespace Overlay.Node.Doctor;

/// <summary>
/// The checks of <c>overlay doctor</c> that only peers can answer: whether they can dial the address the node
/// announces (and so whether it runs as a DHT server or client), its clock against theirs, and its routing
/// table's health. Each reads what the running node reports (the control command <c>reachability</c>), or the
/// clocks bootstrap peers answered with when no node runs.
/// </summary>
internal static class NetworkChecks
{
    /// <summary>Skew beyond the measurement's error that is worth a warning: a clock this far off is drifting, not jittering.</summary>
    public static readonly TimeSpan SkewWarning = TimeSpan.FromSeconds(1);

    private const string FixReach = "Let peers reach that port: open it in the firewall, forward it on the router to this host, or set DhtHost:AnnounceAddress to the public address and port that reach this node.";

    /// <summary>Whether peers dialled the announced address back.</summary>
    public static DoctorCheck Reachability(JsonObject? report)
    {
        const string name = "reachability";
        if (report is null)
        {
            return DoctorCheck.Skipped(name, "No node is running: only a running node can be dialled back (start it, then run doctor again).");
        }

        var announced = Text(report["announced"]);
        var probes = Probes(report);
        return Text(report["verdict"]) switch
        {
            "reachable" => DoctorCheck.Ok(name, $"Peers dialled {announced} back and this node proved its PeerId there ({probes})."),
            "unreachable" => DoctorCheck.Failed(name, $"No peer could dial {announced} ({probes}).", FixReach),
            "not_listening" => DoctorCheck.Warning(name, "The node announces no address: it listens nowhere a peer could dial.", "Add a listen address to Transport:ListenAddresses (e.g. tcp://0.0.0.0:4001)."),
            _ => DoctorCheck.Warning(name, $"No peer has said whether it can dial {announced} yet ({(probes.Length == 0 ? "no peer to ask" : probes)}).",
                "Wait for the node to join (it checks after joining, again within minutes while no peer gives a verdict, then every DhtHost:ReachabilityInterval); with no peers, add Transport:BootstrapPeers."),
        };
    }

    /// <summary>Whether the node runs as a DHT server (in peers' routing tables) or, unreachable, as a client.</summary>
    public static DoctorCheck Nat(JsonObject? report)
    {
        const string name = "nat";
        if (report is null)
        {
            return DoctorCheck.Skipped(name, "No node is running: the DHT mode follows the running node's reachability check.");
        }

        return Text(report["dhtMode"]) == "client"
            ? DoctorCheck.Warning(name,
                $"Running as a DHT client: no peer could dial {Text(report["announced"])}, so it announces no address and peers keep it out of their routing tables; it still looks up, gets and puts, but holds no records for others.",
                FixReach)
            : DoctorCheck.Ok(name, Text(report["verdict"]) == "reachable"
                ? "Running as a DHT server: peers can dial it and add it to their routing tables."
                : "Running as a DHT server (the default until a peer finds it unreachable).");
    }

    /// <summary>
    /// This node's clock against its peers'. Fails past <paramref name="limit"/> (Dht:RequestTimeout): a holder refuses
    /// a record whose expiry lies further ahead than RecordTtl plus that, so a node whose clock is ahead by more has
    /// its fresh records refused (ExpiryTooFar), and one behind refuses its peers' fresh records.
    /// </summary>
    public static DoctorCheck Skew(ClockSkew? skew, TimeSpan limit, string source)
    {
        const string name = "clock-skew";
        if (skew is not { } s)
        {
            return DoctorCheck.Skipped(name, $"No peer has answered with its clock yet ({source}).");
        }

        var direction = s.MedianMs >= 0 ? "behind" : "ahead of";
        var text = string.Create(CultureInfo.InvariantCulture,
            $"This node's clock is {Math.Abs(s.MedianMs) / 1000:0.###} s {direction} the median of {s.Peers} peer(s) ({source}; ±{s.ErrorMs / 1000:0.###} s).");
        const string fix = "Synchronise the clock: timedatectl set-ntp true (or install chrony), and check the time zone is not mistaken for the clock.";
        if (s.CertainMs > limit.TotalMilliseconds)
        {
            var breaks = s.MedianMs < 0
                ? "peers refuse this node's fresh DHT records as ExpiryTooFar"
                : "this node refuses its peers' fresh DHT records as ExpiryTooFar";
            return DoctorCheck.Failed(name, string.Create(CultureInfo.InvariantCulture,
                $"{text} Past Dht:RequestTimeout ({limit.TotalSeconds:0.#} s) {breaks}; past Placement:MaxClockSkew (5 min by default) trust records are refused too, and past 1 h TLS handshakes."), fix);
        }

        return s.CertainMs > SkewWarning.TotalMilliseconds
            ? DoctorCheck.Warning(name, string.Create(CultureInfo.InvariantCulture, $"{text} Records are refused once it passes {limit.TotalSeconds:0.#} s (Dht:RequestTimeout)."), fix)
            : DoctorCheck.Ok(name, text);
    }

    /// <summary>The skew the running node reported (its <c>clock</c> section); null when it measured none.</summary>
    public static ClockSkew? SkewOf(JsonNode? clock) =>
        clock is JsonObject c && Number(c["peers"]) is { } peers && peers > 0 && Number(c["skewMs"]) is { } median
            ? new ClockSkew((int)peers, median, Number(c["errorMs"]) ?? 0)
            : null;

    /// <summary>Contacts, buckets filled, stale contacts, and whether lookups have enough peers to ask.</summary>
    public static DoctorCheck RoutingTable(JsonNode? routing)
    {
        const string name = "routing-table";
        if (routing is not JsonObject r || Number(r["contacts"]) is not { } contacts)
        {
            return DoctorCheck.Skipped(name, "No node is running (or its DHT is starting): only a running node has a routing table.");
        }

        var stale = Number(r["stale"]) ?? 0;
        var text = string.Create(CultureInfo.InvariantCulture, $"{contacts} contacts in {Number(r["bucketsFilled"]) ?? 0} buckets; {stale} stale (failed their last request).");
        if (contacts == 0)
        {
            return DoctorCheck.Failed(name, text + " Lookups have nobody to ask.", "Check the bootstrap checks above, and that this host can reach peers (outbound firewall).");
        }

        if (contacts < RoutingHealth.MinimumContacts)
        {
            return DoctorCheck.Warning(name, string.Create(CultureInfo.InvariantCulture, $"{text} Fewer than {RoutingHealth.MinimumContacts}: a few departures leave lookups with nobody to ask."),
                "Add bootstrap peers (Transport:BootstrapPeers); a network this small fills the table as it grows.");
        }

        return stale * 2 > contacts
            ? DoctorCheck.Warning(name, text + " Most contacts are failing.", "Check that this host can reach peers (outbound firewall, network), and the clock-skew check.")
            : DoctorCheck.Ok(name, text);
    }

    private static string Probes(JsonObject report)
    {
        if (report["probes"] is not JsonArray probes)
        {
            return string.Empty;
        }

        var parts = new List<string>();
        foreach (var p in probes)
        {
            if (p is JsonObject o)
            {
                var peer = Text(o["peerId"]);
                var detail = Text(o["detail"]);
                parts.Add($"{(peer.Length > 8 ? peer[..8] : peer)}: {Text(o["result"])}{(detail.Length > 0 ? $" ({detail})" : "")}");
            }
        }

        return string.Join("; ", parts);
    }

    private static string Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : string.Empty;

    private static double? Number(JsonNode? node) => node switch
    {
        JsonValue v when v.TryGetValue<double>(out var d) => d,
        JsonValue v when v.TryGetValue<long>(out var l) => l,
        JsonValue v when v.TryGetValue<int>(out var i) => i,
        _ => null,
    };
}
