using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Overlay.Node.Configuration;
using Overlay.Storage;

namespace Overlay.Node.Hosting;

/// <summary>Wires the node's services into a host. The only place that knows every component.</summary>
public static class NodeHostFactory
{
    /// <summary>Options sections this node binds, for unknown-key detection.</summary>
    public static IReadOnlyDictionary<string, Type> Sections { get; } = new Dictionary<string, Type>(StringComparer.OrdinalIgnoreCase)
    {
        [NodeOptions.SectionName] = typeof(NodeOptions),
        [StorageOptionsValidator.Section] = typeof(StorageOptions),
    };

    /// <summary>Every problem in the configuration, without starting anything.</summary>
    public static IReadOnlyList<string> Validate(IConfiguration configuration)
    {
        var problems = new List<string>();
        problems.AddRange(OptionsRegistration.Check(configuration, NodeOptions.SectionName, new NodeOptions(), o => o.Validate()));
        problems.AddRange(OptionsRegistration.Check(configuration, StorageOptionsValidator.Section, new StorageOptions(), StorageOptionsValidator.Validate));
        return problems;
    }

    public static IHost Build(NodeSettings settings, NodeIdentityHolder identity, Action<ILoggingBuilder>? configureLogging = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddConfiguration(settings.Configuration);

        builder.Logging.AddConfiguration(settings.Configuration.GetSection("Logging"));
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
        services.AddValidatedOptions<NodeOptions>(settings.Configuration, NodeOptions.SectionName, o => o.Validate());
        var nodeOptions = new NodeOptions();
        OptionsRegistration.BindStrict(settings.Configuration.GetSection(NodeOptions.SectionName), nodeOptions);
        services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(nodeOptions.ShutdownTimeoutSeconds));

        services.AddValidatedOptions<StorageOptions>(settings.Configuration, StorageOptionsValidator.Section, StorageOptionsValidator.Validate);
        services.PostConfigure<StorageOptions>(o => StoragePaths.Resolve(o, settings.DataDirectory));
        services.AddSingleton(identity);
        services.AddSingleton(new NodeRunInfo(settings.DataDirectory, Path.Combine(settings.DataDirectory, IdentityStore.FileName), UnknownKeys.Find(settings.Configuration, Sections)));

        // Hosted services start in this order and stop in reverse: the node announces itself first,
        // and the store closes last, after everything that writes to it has stopped.
        services.AddHostedService<NodeService>();
        services.AddSingleton<ShardStoreService>();
        services.AddHostedService(sp => sp.GetRequiredService<ShardStoreService>());
        return builder.Build();
    }
}
