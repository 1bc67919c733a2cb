using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace Overlay.Benchmarks.Node;

/// <summary>
/// What a Prometheus exporter costs a node, one exporter per process so the resident memory is its own:
/// the OpenTelemetry SDK with its HttpListener exporter (what the node uses), prometheus-net 8.2.1 with
/// its meter adapter and <c>MetricServer</c> (measured to record the choice), or none (no listener: the
/// baseline). The instruments mirror a node's: 12 counters with a reason tag of 6 values, 4 latency
/// histograms with 2 tag values, 5 observable gauges and one gauge of 256 per-bucket measurements.
/// Reported: resident set and managed heap after start and one scrape, process CPU time while idle (no
/// traffic, no scrapes; three windows of idle-seconds each), CPU per counter add and per histogram record with the exporter listening, and
/// CPU per scrape (the in-process HTTP client included, the same for both). Run with
/// <c>metrics-exporter opentelemetry|prometheus-net|none [idle-seconds]</c>.
/// </summary>
public static class MetricsExporterProbe
{
    private const int Counters = 12;
    private const int Histograms = 4;
    private const int Reasons = 6;
    private const int HotIterations = 2_000_000;
    private const int HotBatches = 7;
    private const int Scrapes = 200;

    public static async Task<int> RunAsync(TextWriter output, string exporter, int idleSeconds)
    {
        if (exporter is not ("opentelemetry" or "prometheus-net" or "none"))
        {
            await output.WriteLineAsync("metrics-exporter takes opentelemetry, prometheus-net or none.");
            return 64;
        }

        using var meter = new Meter("Overlay.Probe");
        var counters = new Counter<long>[Counters];
        for (var i = 0; i < counters.Length; i++)
        {
            counters[i] = meter.CreateCounter<long>($"overlay.probe.counter{i}", "{request}", "A counter tagged by reason.");
        }

        var histograms = new Histogram<double>[Histograms];
        for (var i = 0; i < histograms.Length; i++)
        {
            histograms[i] = meter.CreateHistogram<double>($"overlay.probe.latency{i}", "ms", "A latency histogram.",
                advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000] });
        }

        for (var i = 0; i < 5; i++)
        {
            var value = i * 1000L;
            meter.CreateObservableGauge($"overlay.probe.gauge{i}", () => value, "By", "A gauge.");
        }

        var buckets = new Measurement<int>[256];
        for (var i = 0; i < buckets.Length; i++)
        {
            buckets[i] = new Measurement<int>(i % 20, new KeyValuePair<string, object?>("bucket", i.ToString(CultureInfo.InvariantCulture)));
        }

        meter.CreateObservableGauge("overlay.probe.bucket_fill", () => buckets, "{contact}", "Contacts per bucket.");
        var tags = new KeyValuePair<string, object?>[Reasons];
        for (var i = 0; i < tags.Length; i++)
        {
            tags[i] = new("reason", $"reason_{i}");
        }

        var port = FreePort();
        var url = $"http://127.0.0.1:{port}/metrics";
        IDisposable? running = exporter switch
        {
            "opentelemetry" => Sdk.CreateMeterProviderBuilder()
                .AddMeter("Overlay.*")
                .AddPrometheusHttpListener(o =>
                {
                    o.Host = "127.0.0.1";
                    o.Port = port;
                    o.ScopeInfoEnabled = false;
                    o.TargetInfoEnabled = false;
                })
                .Build(),
            "prometheus-net" => StartPrometheusNet(port),
            _ => null,
        };

        try
        {
            // Every series exists before the first measurement of memory.
            foreach (var c in counters)
            {
                foreach (var t in tags)
                {
                    c.Add(1, t);
                }
            }

            foreach (var h in histograms)
            {
                h.Record(3, tags[0]);
                h.Record(30, tags[1]);
            }

            using var http = new HttpClient();
            var bytes = running is null ? 0 : (await http.GetByteArrayAsync(new Uri(url))).Length;
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            using var process = Process.GetCurrentProcess();
            process.Refresh();
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"{exporter}: resident {process.WorkingSet64 / 1048576.0:F1} MiB, managed heap {GC.GetTotalMemory(false) / 1048576.0:F1} MiB, {process.Threads.Count} threads, scrape {bytes} bytes"));

            // Idle in three windows: the first still holds the runtime's own settling (tiered JIT
            // recompiling what start-up ran hot); the later ones are what an idle node pays for good.
            for (var window = 1; window <= 3; window++)
            {
                process.Refresh();
                var cpuBefore = process.TotalProcessorTime;
                var wall = Stopwatch.StartNew();
                Thread.Sleep(TimeSpan.FromSeconds(idleSeconds));
                process.Refresh();
                var idleCpu = process.TotalProcessorTime - cpuBefore;
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"{exporter}: idle window {window}: {idleCpu.TotalMilliseconds:F0} ms CPU in {wall.Elapsed.TotalSeconds:F0} s = {100 * idleCpu.TotalMilliseconds / wall.Elapsed.TotalMilliseconds:F3} % of a core"));
            }

            var counter = counters[3];
            var histogram = histograms[1];
            var add = new double[HotBatches];
            var record = new double[HotBatches];
            var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            for (var batch = 0; batch < HotBatches; batch++)
            {
                add[batch] = CpuTimer.PerCall(() => counter.Add(1, tags[Environment.TickCount & 3]), HotIterations);
                record[batch] = CpuTimer.PerCall(() => histogram.Record(Environment.TickCount & 1023, tags[Environment.TickCount & 1]), HotIterations);
            }

            var allocatedPerMeasurement = (GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / (2.0 * HotBatches * HotIterations);
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"{exporter}: counter add {CpuTimer.Median(add):F1} ns CPU, histogram record {CpuTimer.Median(record):F1} ns CPU (medians of {HotBatches} batches of {HotIterations:N0}); {allocatedPerMeasurement:F2} bytes allocated per measurement"));

            if (running is not null)
            {
                process.Refresh();
                var scrapeAllocated = GC.GetTotalAllocatedBytes(precise: true);
                var scrapeCpu = process.TotalProcessorTime;
                for (var i = 0; i < Scrapes; i++)
                {
                    bytes = (await http.GetByteArrayAsync(new Uri(url))).Length;
                }

                process.Refresh();
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"{exporter}: scrape {(process.TotalProcessorTime - scrapeCpu).TotalMicroseconds / Scrapes:F0} µs CPU and {(GC.GetTotalAllocatedBytes(precise: true) - scrapeAllocated) / 1024.0 / Scrapes:F1} KiB allocated each ({Scrapes} scrapes of {bytes} bytes, client included)"));
            }
        }
        finally
        {
            running?.Dispose();
        }

        return 0;
    }

    private static Both StartPrometheusNet(int port)
    {
        var registry = Prometheus.Metrics.NewCustomRegistry();
        var adapter = Prometheus.MeterAdapter.StartListening(new Prometheus.MeterAdapterOptions
        {
            Registry = registry,
            MetricFactory = Prometheus.Metrics.WithCustomRegistry(registry),
            InstrumentFilterPredicate = i => i.Meter.Name.StartsWith("Overlay.", StringComparison.Ordinal),
            ResolveHistogramBuckets = _ => [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000],
        });
        var server = new Prometheus.MetricServer("127.0.0.1", port, registry: registry);
        server.Start();
        return new Both(adapter, server);
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private sealed class Both(IDisposable first, IDisposable second) : IDisposable
    {
        public void Dispose()
        {
            second.Dispose();
            first.Dispose();
        }
    }
}
