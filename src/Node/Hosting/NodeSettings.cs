using Microsoft.Extensions.Configuration;
using Overlay.Node.Configuration;

namespace Overlay.Node.Hosting;

/// <summary>The configuration of one node run: its data directory and the layered configuration.</summary>
public sealed class NodeSettings
{
    private NodeSettings(string dataDirectory, IConfigurationRoot configuration)
    {
        DataDirectory = dataDirectory;
        Configuration = configuration;
    }

    public string DataDirectory { get; }

    public IConfigurationRoot Configuration { get; }

    /// <summary>
    /// Resolves the data directory (command line, then --config's Node:DataDirectory, then the
    /// environment and defaults) and layers the configuration files and overrides.
    /// </summary>
    public static NodeSettings Load(string? dataDirectoryArgument, string? configFile, IReadOnlyDictionary<string, string?> overrides, Func<string, string?> environment)
    {
        var preliminary = ConfigurationSources.Build(null, configFile, overrides);
        var configured = preliminary[$"{NodeOptions.SectionName}:{nameof(NodeOptions.DataDirectory)}"];
        var dataDirectory = Overlay.Node.Configuration.DataDirectory.Resolve(dataDirectoryArgument, configured, environment);
        var configuration = ConfigurationSources.Build(Path.Combine(dataDirectory, ConfigurationSources.FileName), configFile, overrides);
        return new NodeSettings(dataDirectory, configuration);
    }
}
