using Microsoft.Extensions.Configuration;
using Overlay.Dht;
using Overlay.Node.Configuration;
using Overlay.Placement;
using Overlay.Storage;
using Overlay.Transport;

namespace Overlay.Node.Hosting;

/// <summary>
/// Every options section of a node, bound from the configuration once and validated, with every
/// problem found. The check before a start and the host that starts use the same objects, so a section
/// is not bound a second time (binding was a measurable share of a daemon's start: docs/BENCHMARKS.md,
/// "The cost of a node").
/// </summary>
public sealed class BoundOptions
{
    private BoundOptions()
    {
    }

    public NodeOptions Node { get; } = new();

    /// <summary>The shard store's options; <see cref="StorageOptions.Directory"/> as configured until the host is built, which places it in the data directory.</summary>
    public StorageOptions Storage { get; } = new();

    /// <summary>The transport's options, command-line overrides applied.</summary>
    public TransportOptions Transport { get; } = new();

    public DhtOptions Dht { get; } = new();

    public DhtHostOptions DhtHost { get; } = new();

    public ControlOptions Control { get; } = new();

    public PlacementOptions Placement { get; } = new();

    public MetricsOptions Metrics { get; } = new();

    public ShardExchangeOptions ShardExchange { get; } = new();

    public FilesOptions Files { get; } = new();

    /// <summary>Every problem of every section, one sentence each; empty when the configuration is valid.</summary>
    public IReadOnlyList<string> Problems { get; private set; } = [];

    /// <summary>
    /// Binds and validates every section of <paramref name="configuration"/>. <paramref name="adjustTransport"/>
    /// applies command-line overrides before the transport settings are checked, so a configured value
    /// that an override replaces is not reported.
    /// </summary>
    public static BoundOptions Bind(IConfiguration configuration, Action<TransportOptions>? adjustTransport = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var problems = new List<string>();
        var bound = new BoundOptions();
        problems.AddRange(OptionsRegistration.Check(configuration, NodeOptions.SectionName, bound.Node, o => o.Validate()));
        problems.AddRange(OptionsRegistration.Check(configuration, StorageOptionsValidator.Section, bound.Storage, StorageOptionsValidator.Validate));
        problems.AddRange(OptionsRegistration.Check(configuration, NodeHostFactory.TransportSection, bound.Transport, o =>
        {
            adjustTransport?.Invoke(o);
            return o.Validate();
        }));
        problems.AddRange(OptionsRegistration.Check(configuration, DhtOptions.SectionName, bound.Dht, o => o.Validate()));
        problems.AddRange(OptionsRegistration.Check(configuration, DhtHostOptions.SectionName, bound.DhtHost, o => o.Validate()));
        problems.AddRange(OptionsRegistration.Check(configuration, ControlOptions.SectionName, bound.Control, o => o.Validate()));
        problems.AddRange(OptionsRegistration.Check(configuration, PlacementOptions.SectionName, bound.Placement, o => o.Validate()));
        problems.AddRange(OptionsRegistration.Check(configuration, MetricsOptions.SectionName, bound.Metrics, o => o.Validate()));
        problems.AddRange(OptionsRegistration.Check(configuration, ShardExchangeOptions.SectionName, bound.ShardExchange, o => o.Validate()));
        problems.AddRange(OptionsRegistration.Check(configuration, FilesOptions.SectionName, bound.Files, o => o.Validate()));
        bound.Problems = problems;
        return bound;
    }

    /// <summary>Binds and validates the configuration of <paramref name="settings"/>, its command-line overrides applied.</summary>
    public static BoundOptions Bind(NodeSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return Bind(settings.Configuration, settings.ApplyOverrides);
    }
}
