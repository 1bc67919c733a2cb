using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Overlay.Dht;
using Overlay.Placement;
using Overlay.Storage;
using Overlay.Transport;

namespace Overlay.Node.Configuration;

/// <summary>Binds an options section strictly, through binders generated at build time, and collects its problems.</summary>
public static partial class OptionsRegistration
{
    /// <summary>Binds <paramref name="section"/> onto <paramref name="options"/>, turning conversion failures into one sentence.</summary>
    public static void BindStrict<T>(IConfigurationSection section, T options)
        where T : class
    {
        try
        {
            ClearConfiguredLists(section, options);
            BindGenerated(section, options);
        }
        catch (InvalidOperationException e)
        {
            throw new OptionsValidationException(section.Key, typeof(T), [Rephrase(e.Message)]);
        }
    }

    /// <summary>
    /// Binds through the binder the configuration binding generator writes for each options class
    /// (<c>EnableConfigurationBindingGenerator</c> in Node.csproj): each call below names its class, so the
    /// generator sees it; no reflection walks the class and no converter is looked up when a node starts.
    /// </summary>
    private static void BindGenerated(IConfiguration section, object options)
    {
        switch (options)
        {
            case NodeOptions node: section.Bind(node); break;
            case StorageOptions storage: section.Bind(storage); break;
            case TransportOptions transport: section.Bind(transport); break;
            case DhtOptions dht: section.Bind(dht); break;
            case DhtHostOptions dhtHost: section.Bind(dhtHost); break;
            case ControlOptions control: section.Bind(control); break;
            case PlacementOptions placement: section.Bind(placement); break;
            case MetricsOptions metrics: section.Bind(metrics); break;
            case ShardExchangeOptions shardExchange: section.Bind(shardExchange); break;
            case FilesOptions files: section.Bind(files); break;
            default: throw new ArgumentException($"{options.GetType()} is not one of the node's options classes.", nameof(options));
        }
    }

    /// <summary>
    /// The binder appends configured items to a list that already holds defaults; a configured list
    /// must replace the default one instead, so it is emptied first.
    /// </summary>
    [UnconditionalSuppressMessage("Trimming", "IL2075", Justification = "BindStrict binds only the node's options classes (BindGenerated refuses any other), and NodeHostFactory.Sections keeps their properties (OptionsSections.Of).")]
    private static void ClearConfiguredLists(IConfigurationSection section, object options)
    {
        foreach (var property in options.GetType().GetProperties())
        {
            if (property.GetIndexParameters().Length == 0
                && property.GetValue(options) is System.Collections.IList { IsReadOnly: false, IsFixedSize: false } list
                && section.GetSection(property.Name).Exists())
            {
                list.Clear();
            }
        }
    }

    /// <summary>Collects every problem of every bound section, for commands that check a config without starting.</summary>
    public static IReadOnlyList<string> Check<T>(IConfiguration configuration, string sectionName, T options, Func<T, IEnumerable<string>> validate)
        where T : class
    {
        try
        {
            BindStrict(configuration.GetSection(sectionName), options);
        }
        catch (OptionsValidationException e)
        {
            return [.. e.Failures];
        }

        return [.. validate(options)];
    }

    internal static string Rephrase(string message)
    {
        var match = ConversionFailure().Match(message);
        if (!match.Success)
        {
            return message;
        }

        var allowed = match.Groups["type"].Value switch
        {
            "System.Int32" or "System.Int64" or "System.UInt16" or "System.UInt32" or "System.UInt64" => "it must be a whole number",
            "System.Double" or "System.Single" or "System.Decimal" => "it must be a number",
            "System.Boolean" => "it must be true or false",
            "System.TimeSpan" => "it must be a duration such as 00:00:30",
            var t when t.StartsWith("System.Nullable`1[[System.Double", StringComparison.Ordinal) => "it must be a number",
            var t when t.StartsWith("System.Nullable`1[[System.Int", StringComparison.Ordinal) => "it must be a whole number",
            var t => $"it must be a value of type {t}",
        };
        return $"'{match.Groups["path"].Value}' is '{match.Groups["value"].Value}'; {allowed}.";
    }

    [GeneratedRegex("^Failed to convert configuration value '(?<value>.*)' at '(?<path>[^']*)' to type '(?<type>[^']*)'", RegexOptions.Singleline)]
    private static partial Regex ConversionFailure();
}
