using System.Globalization;
using System.Text.Json.Nodes;
using Overlay.Transport;

namespace Overlay.Node.Reachability;

/// <summary>What one reachability check found, and the DHT mode the node runs in after it.</summary>
/// <param name="Verdict">Whether peers can dial the announced address.</param>
/// <param name="Announced">The address checked (the one the node announces while it is a DHT server); null when it listens nowhere.</param>
/// <param name="CheckedAt">When the check finished; null before the first.</param>
/// <param name="Probes">Each peer asked, with its answer.</param>
/// <param name="DhtServer">True while the node announces its address (others may add it to their routing tables); false as a DHT client.</param>
public sealed record ReachabilityReport(ReachabilityVerdict Verdict, string? Announced, DateTimeOffset? CheckedAt, IReadOnlyList<ReachProbe> Probes, bool DhtServer)
{
    /// <summary>The snake-case tag of a verdict, as counted and shown.</summary>
    public static string Tag(ReachabilityVerdict verdict) => verdict switch
    {
        ReachabilityVerdict.Reachable => "reachable",
        ReachabilityVerdict.Unreachable => "unreachable",
        ReachabilityVerdict.NotListening => "not_listening",
        _ => "unknown",
    };

    /// <summary>
    /// The verdict of a set of answers: reachable when any peer dialled back; unreachable when none did and at
    /// least one tried and failed (a peer that cannot dial the scheme at all says nothing); unknown otherwise.
    /// </summary>
    public static ReachabilityVerdict Judge(IReadOnlyList<ReachProbe> probes)
    {
        ArgumentNullException.ThrowIfNull(probes);
        var failed = false;
        foreach (var p in probes)
        {
            if (p.Answer?.Status == ReachStatus.Reachable)
            {
                return ReachabilityVerdict.Reachable;
            }

            failed |= p.Answer is { Status: ReachStatus.Unreachable, DialError: not TransportError.UnsupportedAddress };
        }

        return failed ? ReachabilityVerdict.Unreachable : ReachabilityVerdict.Unknown;
    }

    /// <summary>The report as the control API sends it.</summary>
    public JsonObject ToJson()
    {
        var probes = new JsonArray();
        foreach (var p in Probes)
        {
            probes.Add((JsonNode)new JsonObject
            {
                ["peerId"] = p.Peer.ToString(),
                ["result"] = p.Answer is { } a ? ReachMetrics.Tag(a.Status) : "no_answer",
                ["detail"] = p.Answer is { DialError: { } e } ? e.ToString() : p.Failure,
                ["observedAs"] = p.Answer?.Observed,
                ["roundTripMs"] = Math.Round(p.RoundTripMs, 1),
                ["skewMs"] = double.IsFinite(p.SkewMs) ? p.SkewMs : null,
            });
        }

        return new JsonObject
        {
            ["verdict"] = Tag(Verdict),
            ["dhtMode"] = DhtServer ? "server" : "client",
            ["announced"] = Announced,
            ["checkedAt"] = CheckedAt?.ToString("O", CultureInfo.InvariantCulture),
            ["probes"] = probes,
        };
    }
}
