using Microsoft.Extensions.Configuration;
using Overlay.Node.Configuration;

namespace Overlay.Node.Hosting;

/// <summary>The configuration of one node run: its data directory and the layered configuration.</summary>
public sealed class NodeSettings
{
    private NodeSettings(string dataDirectory, IConfigurationRoot configuration, IReadOnlyList<string> listen, IReadOnlyList<string> bootstrap)
    {
        DataDirectory = dataDirectory;
        Configuration = configuration;
        ListenOverride = listen;
        BootstrapOverride = bootstrap;
    }

    /// <summary>Addresses given with <c>--listen</c>; when any are given they replace Transport:ListenAddresses.</summary>
    public IReadOnlyList<string> ListenOverride { get; }

    /// <summary>Addresses given with <c>--bootstrap</c>; when any are given they replace Transport:BootstrapPeers.</summary>
    public IReadOnlyList<string> BootstrapOverride { get; }

    /// <summary>Applies the command-line address lists to bound transport options.</summary>
    public void ApplyOverrides(Overlay.Transport.TransportOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Replace(options.ListenAddresses, ListenOverride);
        Replace(options.BootstrapPeers, BootstrapOverride);
    }

    private static void Replace(IList<string> target, IReadOnlyList<string> values)
    {
        if (values.Count == 0)
        {
            return;
        }

        target.Clear();
        foreach (var value in values)
        {
            target.Add(value);
        }
    }

    public string DataDirectory { get; }

    public IConfigurationRoot Configuration { get; }

    /// <summary>
    /// Resolves the data directory (command line, then --config's Node:DataDirectory, then the
    /// environment and defaults) and layers the configuration files and overrides.
    /// </summary>
    public static NodeSettings Load(string? dataDirectoryArgument, string? configFile, IReadOnlyDictionary<string, string?> overrides, Func<string, string?> environment) =>
        Load(dataDirectoryArgument, configFile, overrides, [], [], environment);

    public static NodeSettings Load(
        string? dataDirectoryArgument,
        string? configFile,
        IReadOnlyDictionary<string, string?> overrides,
        IReadOnlyList<string> listen,
        IReadOnlyList<string> bootstrap,
        Func<string, string?> environment)
    {
        var preliminary = ConfigurationSources.Build(null, configFile, overrides, NodeHostFactory.Sections);
        var configured = preliminary[$"{NodeOptions.SectionName}:{nameof(NodeOptions.DataDirectory)}"];
        var dataDirectory = Overlay.Node.Configuration.DataDirectory.Resolve(dataDirectoryArgument, configured, environment);
        var configuration = ConfigurationSources.Build(Path.Combine(dataDirectory, ConfigurationSources.FileName), configFile, overrides, NodeHostFactory.Sections);
        return new NodeSettings(dataDirectory, configuration, listen, bootstrap);
    }
}
