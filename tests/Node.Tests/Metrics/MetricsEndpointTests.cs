using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Overlay.Crypto;
using Overlay.Node.Cli;
using Overlay.Node.Configuration;
using Overlay.Node.Control;
using Overlay.Node.Hosting;
using Overlay.Node.Metrics;

namespace Overlay.Node.Tests.Metrics;

/// <summary>
/// The Prometheus endpoint of a real node in process: scraped, parsed, and held against the Grafana dashboard.
/// The exporter subscribes to meters by name, process-wide: a daemon runs one node, but a test process runs
/// many, and another test's live node would add a second series of the same name and labels to the scrape.
/// So these tests run alone, and only this node's own instruments are touched.
/// </summary>
[Collection(nameof(MetricsEndpointTests))]
public sealed partial class MetricsEndpointTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("overlay-metrics").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Scrape_OfARunningNode_ParsesAndHasEveryMetricTheDashboardCharts()
    {
        var ct = TestContext.Current.CancellationToken;
        var port = FreePort();
        using var identity = new NodeIdentityHolder(NodeIdentity.Generate(), createdThisStart: true);
        var settings = NodeSettings.Load(_dir, null, new Dictionary<string, string?> { ["Metrics:Listen"] = $"127.0.0.1:{port}" },
            ["tcp://127.0.0.1:0"], [], _ => null);
        DataDirectory.Ensure(_dir);
        using var host = NodeHostFactory.Build(settings, identity, logging => { });
        await host.StartAsync(ct);
        try
        {
            // Every instrument the node has published gets one zero measurement, so counters that only move
            // on errors (drops, corruption) appear in the scrape as they would after their first event.
            var meters = host.Services.GetRequiredService<IMeterFactory>();
            using var listener = new MeterListener();
            listener.InstrumentPublished = (instrument, l) =>
            {
                // Meters the host's factory made (Scope), or process-wide static ones (no scope): never another test's node's.
                if (instrument.Meter.Name.StartsWith("Overlay.", StringComparison.Ordinal) && (instrument.Meter.Scope is null || ReferenceEquals(instrument.Meter.Scope, meters)))
                {
                    l.EnableMeasurementEvents(instrument);
                    Touch(instrument);
                }
            };
            System.Runtime.CompilerServices.RuntimeHelpers.RunClassConstructor(typeof(Overlay.Transport.TransportMetrics).TypeHandle);
            listener.Start();

            // The status command goes through the control API, as 'overlay status' does.
            JsonObject status;
            var client = await ControlClient.ConnectAsync(_dir, TimeSpan.FromSeconds(10), ct);
            await using (client)
            {
                status = await client.SendAsync(new JsonObject { ["command"] = "status" }, ct);
            }

            Assert.Equal(identity.Identity.PeerId.ToString(), status["peerId"]!.GetValue<string>());
            Assert.Equal($"http://127.0.0.1:{port}/metrics", status["metrics"]!["url"]!.GetValue<string>());
            Assert.Single(status["listening"]!.AsArray());
            Assert.Equal(0, status["storage"]!["shards"]!.GetValue<long>());
            Assert.Contains("Metrics     http://127.0.0.1:", StatusCommand.Format(status), StringComparison.Ordinal);

            using var http = new HttpClient();
            var text = await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"), ct);
            var (samples, types) = PrometheusText.Parse(text);
            var names = samples.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
            Assert.Contains(samples, s => s.Name == "overlay_control_requests_total" && s.Labels.GetValueOrDefault("command") == "status" && s.Value >= 1);
            Assert.Equal("counter", types["overlay_dht_operations_total"]);
            Assert.Equal("histogram", types["overlay_dht_operation_duration_milliseconds"]);
            AssertHistogramsConsistent(samples, types);

            var missing = DashboardMetrics().Where(m => !names.Contains(m)).ToList();
            Assert.True(missing.Count == 0, "The dashboard charts metrics the node does not export: " + string.Join(", ", missing) + "; it exports " + string.Join(", ", names.Where(n => n.StartsWith("overlay_", StringComparison.Ordinal)).Order()));
        }
        finally
        {
            await host.StopAsync(ct);
        }
    }

    [Fact]
    public async Task Start_PortTaken_NodeRunsOnAndSaysWhy()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        using var endpoint = new MetricsEndpoint(Options.Create(new MetricsOptions { Listen = $"127.0.0.1:{port}" }), NullLogger<MetricsEndpoint>.Instance);
        await endpoint.StartAsync(TestContext.Current.CancellationToken);
        Assert.Null(endpoint.Url);
        Assert.Contains($"127.0.0.1:{port}", endpoint.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_ListenEmpty_ServesNothingAndReportsNoProblem()
    {
        using var endpoint = new MetricsEndpoint(Options.Create(new MetricsOptions { Listen = "" }), NullLogger<MetricsEndpoint>.Instance);
        await endpoint.StartAsync(TestContext.Current.CancellationToken);
        Assert.Null(endpoint.Url);
        Assert.Null(endpoint.Problem);
    }

    /// <summary>Every metric name in the dashboard's queries (deploy/grafana-dashboard.json).</summary>
    internal static IReadOnlySet<string> DashboardMetrics()
    {
        var json = JsonNode.Parse(File.ReadAllText(RepositoryFile("deploy/grafana-dashboard.json")))!;
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var expr in Strings(json, "expr"))
        {
            foreach (Match m in MetricName().Matches(expr))
            {
                names.Add(m.Value);
            }
        }

        Assert.True(names.Count >= 15, $"The dashboard names only {names.Count} metrics.");
        return names;
    }

    internal static string RepositoryFile(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Overlay.sln")))
            {
                return Path.Combine(dir.FullName, relative);
            }
        }

        throw new DirectoryNotFoundException("No Overlay.sln above " + AppContext.BaseDirectory);
    }

    private static IEnumerable<string> Strings(JsonNode node, string key)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (k, v) in o)
                {
                    if (k == key && v is JsonValue s && s.TryGetValue<string>(out var text))
                    {
                        yield return text;
                    }
                    else if (v is not null)
                    {
                        foreach (var inner in Strings(v, key))
                        {
                            yield return inner;
                        }
                    }
                }

                break;
            case JsonArray a:
                foreach (var item in a)
                {
                    if (item is not null)
                    {
                        foreach (var inner in Strings(item, key))
                        {
                            yield return inner;
                        }
                    }
                }

                break;
        }
    }

    private static void AssertHistogramsConsistent(IReadOnlyList<PrometheusSample> samples, IReadOnlyDictionary<string, string> types)
    {
        foreach (var (name, type) in types)
        {
            if (type != "histogram")
            {
                continue;
            }

            foreach (var series in samples.Where(s => s.Name == name + "_bucket").GroupBy(s => string.Join(",", s.Labels.Where(l => l.Key != "le").OrderBy(l => l.Key).Select(l => $"{l.Key}={l.Value}"))))
            {
                var buckets = series.OrderBy(s => s.Labels["le"] == "+Inf" ? double.PositiveInfinity : double.Parse(s.Labels["le"], System.Globalization.CultureInfo.InvariantCulture)).ToList();
                for (var i = 1; i < buckets.Count; i++)
                {
                    Assert.True(buckets[i].Value >= buckets[i - 1].Value, $"{name}{{{series.Key}}} has falling bucket counts: " + string.Join(" ", buckets.Select(b => $"{b.Labels["le"]}={b.Value}")));
                }

                Assert.Equal("+Inf", buckets[^1].Labels["le"]);
                var count = samples.Single(s => s.Name == name + "_count" && SameSeries(s, buckets[^1]));
                Assert.Equal(buckets[^1].Value, count.Value);
            }
        }
    }

    private static bool SameSeries(PrometheusSample a, PrometheusSample bucket) =>
        a.Labels.Count == bucket.Labels.Count - 1 && a.Labels.All(l => bucket.Labels.TryGetValue(l.Key, out var v) && v == l.Value);

    private static void Touch(Instrument instrument)
    {
        switch (instrument)
        {
            case Counter<long> c:
                c.Add(0);
                break;
            case Histogram<double> h:
                h.Record(0);
                break;
            case Histogram<int> h:
                h.Record(0);
                break;
            case Histogram<long> h:
                h.Record(0);
                break;
        }
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    [GeneratedRegex(@"\b(overlay|dotnet)_[a-z0-9_]+")]
    private static partial Regex MetricName();
}

/// <summary>Runs <see cref="MetricsEndpointTests"/> with no other test's nodes alive in the process.</summary>
[CollectionDefinition(nameof(MetricsEndpointTests), DisableParallelization = true)]
public sealed class MetricsEndpointCollection;
