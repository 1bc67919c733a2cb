using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using Overlay.Node.Configuration;
using Overlay.Node.Hosting;

namespace Overlay.Node.Metrics;

/// <summary>
/// Serves the node's meters (every meter named <c>Overlay.*</c>, and the runtime's <c>System.Runtime</c>)
/// for Prometheus at <c>http://Metrics:Listen/metrics</c>, through the OpenTelemetry SDK and its
/// HttpListener exporter (docs/BENCHMARKS.md, "Metrics exporter", says why that one). The exposition
/// format is the library's; the node only chooses meters, histogram buckets and the address.
/// </summary>
public sealed class MetricsEndpoint : Microsoft.Extensions.Hosting.IHostedService, IDisposable
{
    /// <summary>The path Prometheus scrapes.</summary>
    public const string ScrapePath = "/metrics";

    /// <summary>Meters exported: the node's own, and the runtime's (CPU, GC, heap, thread pool).</summary>
    public static readonly IReadOnlyList<string> Meters = ["Overlay.*", "System.Runtime"];

    private readonly MetricsOptions _options;
    private readonly ILogger _logger;
    private MeterProvider? _provider;

    public MetricsEndpoint(IOptions<MetricsOptions> options, ILogger<MetricsEndpoint> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _logger = logger;
    }

    /// <summary>The URL being served, e.g. <c>http://127.0.0.1:9464/metrics</c>; null when none is.</summary>
    public string? Url { get; private set; }

    /// <summary>Why the configured endpoint is not served (one sentence); null when it is, or when none is configured.</summary>
    public string? Problem { get; private set; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_options.Listen.Length == 0 || !MetricsOptions.TryParseListen(_options.Listen, out var address, out var port))
        {
            return Task.CompletedTask;
        }

        var host = Host(address);
        try
        {
            _provider = Build(host, port);
            Url = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"http://{(host == "+" ? address.ToString() : host)}:{port}{ScrapePath}");
            Log.MetricsServing(_logger, Url);
        }
        catch (Exception e) when (e is HttpListenerException or InvalidOperationException or System.Net.Sockets.SocketException)
        {
            // A taken port must not stop a node that serves peers: it runs on, says why, and 'overlay status'
            // and 'overlay doctor' report it. Prometheus sees the target down.
            Problem = $"the metrics endpoint could not listen on {_options.Listen}: {e.Message}";
            Log.MetricsUnavailable(_logger, _options.Listen, e.Message);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _provider?.Dispose();
        _provider = null;
        Url = null;
    }

    /// <summary>
    /// The listener's host for an address. HttpListener matches requests by their Host header, so an
    /// unspecified address (0.0.0.0, ::) becomes "+", which answers every name the node is reached by.
    /// </summary>
    internal static string Host(IPAddress address) =>
        address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) ? "+"
        : address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]"
        : address.ToString();

    private static MeterProvider Build(string host, int port)
    {
        var builder = Sdk.CreateMeterProviderBuilder();
        foreach (var meter in Meters)
        {
            builder.AddMeter(meter);
        }

        return builder
            .AddPrometheusHttpListener(o =>
            {
                o.Host = host;
                o.Port = port;
                o.ScrapeEndpointPath = ScrapePath;
                // Every scrape reads the meters afresh: Prometheus scrapes every few seconds at most, and a
                // cached answer would show a count older than the request that asked for it.
                o.ScrapeResponseCacheDurationMilliseconds = 0;
                // Scope and target info would repeat the meter name and the service on every series; the
                // dashboard filters by job and instance instead.
                o.ScopeInfoEnabled = false;
                o.TargetInfoEnabled = false;
            })
            .Build();
    }
}
