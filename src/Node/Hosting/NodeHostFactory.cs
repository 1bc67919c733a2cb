using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Overlay.Dht;
using Overlay.Node.Composition;
using Overlay.Node.Configuration;
using Overlay.Node.Control;
using Overlay.Node.Metrics;
using Overlay.Placement;
using Overlay.Storage;
using Overlay.Transport;

namespace Overlay.Node.Hosting;

/// <summary>Wires the node's services into a host. The only place that knows every component.</summary>
public static class NodeHostFactory
{
    /// <summary>Options sections this node binds, for unknown-key detection.</summary>
    public static IReadOnlyDictionary<string, Type> Sections { get; } = new Dictionary<string, Type>(StringComparer.OrdinalIgnoreCase)
    {
        [NodeOptions.SectionName] = OptionsSections.Of<NodeOptions>(),
        [StorageOptionsValidator.Section] = OptionsSections.Of<StorageOptions>(),
        [TransportSection] = OptionsSections.Of<TransportOptions>(),
        [DhtOptions.SectionName] = OptionsSections.Of<DhtOptions>(),
        [DhtHostOptions.SectionName] = OptionsSections.Of<DhtHostOptions>(),
        [ControlOptions.SectionName] = OptionsSections.Of<ControlOptions>(),
        [PlacementOptions.SectionName] = OptionsSections.Of<PlacementOptions>(),
        [MetricsOptions.SectionName] = OptionsSections.Of<MetricsOptions>(),
        [ShardExchangeOptions.SectionName] = OptionsSections.Of<ShardExchangeOptions>(),
        [FilesOptions.SectionName] = OptionsSections.Of<FilesOptions>(),
    };

    /// <summary>Configuration section of <see cref="TransportOptions"/>.</summary>
    public const string TransportSection = "Transport";

    /// <summary>Every problem in the configuration and command-line overrides, without starting anything.</summary>
    public static IReadOnlyList<string> Validate(NodeSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return Validate(settings.Configuration, settings.ApplyOverrides);
    }

    /// <summary>
    /// Every problem in the configuration, without starting anything. <paramref name="adjustTransport"/>
    /// applies command-line overrides before the transport settings are checked, so a configured value
    /// that an override replaces is not reported.
    /// </summary>
    public static IReadOnlyList<string> Validate(IConfiguration configuration, Action<TransportOptions>? adjustTransport = null) =>
        BoundOptions.Bind(configuration, adjustTransport).Problems;

    /// <summary>Binds the configuration of <paramref name="settings"/> and builds the host from it.</summary>
    /// <exception cref="OptionsValidationException">The configuration has problems (<see cref="BoundOptions.Problems"/>).</exception>
    public static IHost Build(NodeSettings settings, NodeIdentityHolder identity, Action<ILoggingBuilder>? configureLogging = null) =>
        Build(settings, BoundOptions.Bind(settings), identity, configureLogging);

    /// <summary>
    /// Builds the host from options bound once by <see cref="BoundOptions.Bind(NodeSettings)"/>: each is
    /// registered as it is, so nothing binds a section again when the host starts.
    /// </summary>
    /// <exception cref="OptionsValidationException">The options have problems (<see cref="BoundOptions.Problems"/>).</exception>
    public static IHost Build(NodeSettings settings, BoundOptions options, NodeIdentityHolder identity, Action<ILoggingBuilder>? configureLogging = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Problems.Count > 0)
        {
            throw new OptionsValidationException(nameof(BoundOptions), typeof(BoundOptions), options.Problems);
        }

        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddConfiguration(settings.Configuration);

        builder.Logging.AddConfiguration(settings.Configuration.GetSection("Logging"));
        // The host's own errors repeat what the node reports: a failed start is one sentence from
        // 'overlay run' (with the trace logged only when it is a bug), and a failed background loop
        // is also logged at Critical by the host as it stops.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        if (configureLogging is null)
        {
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
                o.UseUtcTimestamp = true;
            });
        }
        else
        {
            configureLogging(builder.Logging);
        }

        var services = builder.Services;
        services.AddSingleton(TimeProvider.System);
        // Validated above; the storage directory is placed in the data directory only now, as the store opens it there.
        StoragePaths.Resolve(options.Storage, settings.DataDirectory);
        services.AddSingleton(Options.Create(options.Node));
        services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(options.Node.ShutdownTimeoutSeconds));
        services.AddSingleton(Options.Create(options.Storage));
        services.AddSingleton(Options.Create(options.Transport));
        services.AddSingleton(Options.Create(options.Dht));
        services.AddSingleton(Options.Create(options.DhtHost));
        services.AddSingleton(Options.Create(options.Control));
        services.AddSingleton(Options.Create(options.Metrics));
        services.AddSingleton(Options.Create(options.ShardExchange));
        services.AddSingleton(Options.Create(options.Files));
        services.AddSingleton(Options.Create(options.Placement));

        services.AddSingleton(identity);
        services.AddSingleton(new NodeRunInfo(settings.DataDirectory, Path.Combine(settings.DataDirectory, IdentityStore.FileName), UnknownKeys.Find(settings.Configuration, Sections)));

        // Hosted services start in this order and stop in reverse: the node announces itself first.
        services.AddHostedService<NodeService>();
        // Before the node, so its first counts are already exported; stopped last.
        services.AddSingleton<MetricsEndpoint>();
        services.AddHostedService(sp => sp.GetRequiredService<MetricsEndpoint>());
        // One node, built by the composition root the simulator and tests also use, from the real parts.
        services.AddSingleton(sp => NodeComposition.Build(new NodeParts
        {
            Identity = identity,
            Time = sp.GetRequiredService<TimeProvider>(),
            // Thread-safe, and a daemon has no run to replay.
            Random = Random.Shared,
            CreateTransport = protocols => TransportSet.Create(identity.Identity, protocols, sp.GetRequiredService<IOptions<TransportOptions>>().Value,
                sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger<TransportService>()),
            OpenShardStore = ShardStoreService.OpenSqlite,
            // dht.db keeps the promise Storage:Durability makes for shards: Full flushes every commit to the disk.
            OpenDhtState = () => new Overlay.Dht.Persistence.SqliteDhtStateStore(
                Path.Combine(settings.DataDirectory, Overlay.Dht.Persistence.SqliteDhtStateStore.FileName),
                sp.GetRequiredService<IOptions<DhtOptions>>().Value, sp.GetRequiredService<IOptions<DhtHostOptions>>().Value.MaxSavedContacts,
                Overlay.Dht.Persistence.DhtRowSeal.FromIdentity(identity.Identity),
                fullSync: sp.GetRequiredService<IOptions<StorageOptions>>().Value.Durability == StorageDurability.Full),
            OpenDhtJournal = state => new Overlay.Dht.Persistence.DhtStateJournal(state),
            OpenOwnedShardBook = () => new Overlay.Node.Shards.OwnedShardBook(Path.Combine(settings.DataDirectory, Overlay.Node.Shards.OwnedShardBook.DirectoryName)),
            // Audit nonces must be unguessable by holders: the daemon draws them from the CSPRNG.
            FillNonce = System.Security.Cryptography.RandomNumberGenerator.Fill,
            LoggerFactory = sp.GetRequiredService<ILoggerFactory>(),
            MeterFactory = sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(),
            Node = sp.GetRequiredService<IOptions<NodeOptions>>().Value,
            Transport = sp.GetRequiredService<IOptions<TransportOptions>>().Value,
            Dht = sp.GetRequiredService<IOptions<DhtOptions>>().Value,
            DhtHost = sp.GetRequiredService<IOptions<DhtHostOptions>>().Value,
            Storage = sp.GetRequiredService<IOptions<StorageOptions>>().Value,
            ShardExchange = sp.GetRequiredService<IOptions<ShardExchangeOptions>>().Value,
            Placement = sp.GetRequiredService<IOptions<PlacementOptions>>().Value,
        }));
        // Started after the identity is announced and before the control API (which drives the DHT and the shard exchange); stopping in
        // reverse, the control API closes first, then the node stops its parts in reverse (the store last).
        services.AddHostedService<OverlayNodeHostedService>();
        services.AddSingleton(sp => sp.GetRequiredService<OverlayNode>().ShardStore);
        services.AddSingleton(sp => sp.GetRequiredService<OverlayNode>().Transport);
        services.AddSingleton(sp => sp.GetRequiredService<OverlayNode>().Dht);
        services.AddSingleton(sp => sp.GetRequiredService<OverlayNode>().ShardExchange);
        services.AddSingleton(sp => sp.GetRequiredService<OverlayNode>().Trust);
        services.AddSingleton(sp => sp.GetRequiredService<OverlayNode>().Reachability);
        services.AddSingleton<NodeStatus>();
        services.AddSingleton(sp =>
        {
            var node = sp.GetRequiredService<OverlayNode>();
            var files = new Overlay.Node.Files.FileService(
                node.ShardExchange, identity, sp.GetRequiredService<IOptions<FilesOptions>>().Value,
                Path.Combine(settings.DataDirectory, Overlay.Node.Files.ContentBook.DirectoryName), sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger<Overlay.Node.Files.FileService>(),
                roundTrips: () => Overlay.Node.Files.HolderRanking.RoundTripsOf(node.Dht.Node?.SnapshotContacts() ?? []));
            // Unpinned content is neither renewed nor repaired: its holders drop it when its receipts expire. A damaged
            // content book keeps everything: dropping what the owner may still want is the loss that cannot be undone.
            node.ShardMaintenance.Retain = id =>
            {
                try
                {
                    return files.Book.Retains(id);
                }
                catch (Overlay.Node.Files.ContentBookException)
                {
                    return true;
                }
            };
            return files;
        });
        services.AddSingleton<ControlService>();
        services.AddHostedService(sp => sp.GetRequiredService<ControlService>());
        return builder.Build();
    }
}
