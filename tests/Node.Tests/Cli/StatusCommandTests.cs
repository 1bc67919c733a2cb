using System.Text.Json.Nodes;
using Overlay.Node.Cli;

namespace Overlay.Node.Tests.Cli;

/// <summary>'overlay status' output from whole, partial and malformed replies: every line printed, '-' for what is missing.</summary>
public sealed class StatusCommandTests
{
    [Fact]
    public void Format_WholeReply_NamesEveryPart()
    {
        var reply = JsonNode.Parse("""
            { "peerId": "aa42", "uptimeSeconds": 3723.6, "listening": ["tcp://127.0.0.1:4001/p2p/aa42"], "announced": "tcp://127.0.0.1:4001",
              "connections": 3, "dht": { "joined": true, "contacts": 12, "records": 4, "requestsServed": 100, "requestsRefused": 2 },
              "storage": { "shards": 5, "usedBytes": 1572864, "capacityBytes": 10737418240, "fileBytes": 2097152 },
              "trust": { "placement": "closest", "peersObserved": 9, "preTrusted": 2, "peersWithTrust": 11, "computedAt": "2026-01-01T00:05:00.0000000+00:00",
                         "iterations": 3, "converged": true, "recordsHeld": 7, "recordsAccepted": 30, "recordsRefused": 1,
                         "capacityRecordsHeld": 5, "capacityRecordsAccepted": 14, "capacityRecordsRefused": 3, "exchanges": { "Succeeded": 120, "TimedOut": 4, "Refused": 2, "InvalidReply": 1, "Unreachable": 3 } },
              "metrics": { "url": "http://127.0.0.1:9464/metrics", "problem": null },
              "forPeers": { "storesAccepted": 7, "storedBytes": 1572864, "fetchesServed": 9 },
              "repairs": { "inFlight": 2, "started": 6, "finished": 3, "failed": 1, "suspects": 8 },
              "reachability": { "verdict": "unreachable", "dhtMode": "client", "announced": "tcp://127.0.0.1:4001", "checkedAt": "2026-01-01T00:00:00Z", "probes": [] },
              "clock": { "peers": 3, "skewMs": -1500, "errorMs": 2 },
              "routing": { "contacts": 12, "bucketsFilled": 4, "stale": 1 } }
            """)!.AsObject();
        var text = StatusCommand.Format(reply);
        Assert.Contains("Node        aa42, up 01:02:03", text, StringComparison.Ordinal);
        Assert.Contains("joined; 12 contacts, 4 records held; requests served 100, refused 2", text, StringComparison.Ordinal);
        Assert.Contains("5 shards, 1.5 MiB of 10.0 GiB quota; database files 2.0 MiB", text, StringComparison.Ordinal);
        Assert.Contains("Trust       9 peers observed, 11 with global trust (2 pre-trusted), computed 2026-01-01T00:05:00.0000000+00:00; exchanges: 120 good, 8 failed, 2 refused; 7 peers' records held (1 refused); holders placed by closest", text, StringComparison.Ordinal);
        Assert.Contains("Capacity    5 peers' capacity records held; since start 14 accepted, 3 refused", text, StringComparison.Ordinal);
        Assert.Contains("Metrics     http://127.0.0.1:9464/metrics", text, StringComparison.Ordinal);
        Assert.Contains("For peers   7 stores accepted (1.5 MiB) and 9 fetches served since start", text, StringComparison.Ordinal);
        Assert.Contains("Repairs     2 in flight; since start 8 holders suspected, 6 repairs started, 3 finished, 1 found no new holder", text, StringComparison.Ordinal);
        Assert.Contains("Reach       UNREACHABLE at tcp://127.0.0.1:4001: no peer could dial it; DHT client (not in peers' routing tables)", text, StringComparison.Ordinal);
        Assert.Contains("Clock       -1500 ms against 3 peer(s)", text, StringComparison.Ordinal);
        Assert.Contains("Routing     12 contacts in 4 buckets, 1 stale", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Format_TrustWithoutCapacityFigures_PrintsDashes()
    {
        var reply = JsonNode.Parse("""{ "trust": { "capacityRecordsHeld": [], "capacityRecordsRefused": 2 } }""")!.AsObject();
        Assert.Contains("Capacity    - peers' capacity records held; since start - accepted, 2 refused", StatusCommand.Format(reply), StringComparison.Ordinal);
        Assert.Contains("Capacity    - peers' capacity records held; since start - accepted, - refused", StatusCommand.Format(new JsonObject()), StringComparison.Ordinal);
    }

    [Fact]
    public void Format_MetricsNotServed_SaysWhy()
    {
        var reply = new JsonObject { ["metrics"] = new JsonObject { ["url"] = null, ["problem"] = "port taken" } };
        Assert.Contains("Metrics     not served: port taken", StatusCommand.Format(reply), StringComparison.Ordinal);
    }

    [Fact]
    public void Format_SeededMalformedReplies_NeverThrowAndPrintEveryLine()
    {
        var random = new Random(19);
        string[] keys = ["peerId", "uptimeSeconds", "listening", "announced", "connections", "dht", "storage", "trust", "metrics", "forPeers", "repairs", "reachability", "clock", "routing"];
        JsonNode?[] values =
        [
            null, "text", 42, -1.5, true, new JsonArray(1, "x"), new JsonObject { ["url"] = 3 }, new JsonObject { ["joined"] = "yes", ["contacts"] = "many" },
            new JsonObject { ["verdict"] = "reachable", ["probes"] = new JsonArray(1, new JsonObject { ["result"] = 2 }) }, new JsonObject { ["dhtMode"] = 7, ["skewMs"] = "x" },
            new JsonObject { ["exchanges"] = new JsonObject { ["TimedOut"] = "x", ["Succeeded"] = new JsonArray() }, ["placement"] = 7 },
            new JsonObject { ["exchanges"] = 5 }, new JsonObject { ["capacityRecordsHeld"] = new JsonArray(), ["capacityRecordsAccepted"] = -3, ["capacityRecordsRefused"] = "x" },
        ];
        for (var i = 0; i < 2_000; i++)
        {
            var reply = new JsonObject();
            foreach (var key in keys)
            {
                if (random.Next(3) > 0)
                {
                    reply[key] = values[random.Next(values.Length)]?.DeepClone();
                }
            }

            var lines = StatusCommand.Format(reply).TrimEnd('\n').Split('\n');
            Assert.Equal(13, lines.Length);
        }
    }
}
