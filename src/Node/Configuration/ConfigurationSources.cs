using System.Text.Json;
using Microsoft.Extensions.Configuration;

namespace Overlay.Node.Configuration;

/// <summary>
/// Builds the node's configuration in layers: the embedded defaults (node.config.json), then the
/// data directory's node.config.json if present, then <c>--config FILE</c>, then command-line overrides.
/// </summary>
public static class ConfigurationSources
{
    /// <summary>File name of the configuration file, both embedded and in the data directory.</summary>
    public const string FileName = "node.config.json";

    /// <summary>Largest configuration file accepted; a larger one is certainly a mistake.</summary>
    public const long MaxFileBytes = 1 << 20;

    /// <summary>The embedded defaults, as text.</summary>
    public static string EmbeddedDefaults()
    {
        using var stream = typeof(ConfigurationSources).Assembly.GetManifestResourceStream(FileName)
            ?? throw new InvalidOperationException("The embedded node.config.json is missing from the build.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public static IConfigurationRoot Build(string? dataDirectoryFile, string? explicitFile, IReadOnlyDictionary<string, string?> overrides)
    {
        var builder = new ConfigurationBuilder();
        AddJson(builder, "the embedded defaults", EmbeddedDefaults());
        if (dataDirectoryFile is not null && File.Exists(dataDirectoryFile))
        {
            AddJson(builder, dataDirectoryFile, ReadFile(dataDirectoryFile));
        }

        if (explicitFile is not null)
        {
            if (!File.Exists(explicitFile))
            {
                throw new ConfigurationException($"The config file '{explicitFile}' does not exist.");
            }

            AddJson(builder, explicitFile, ReadFile(explicitFile));
        }

        builder.AddInMemoryCollection(overrides);
        return builder.Build();
    }

    private static string ReadFile(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (info.Length > MaxFileBytes)
            {
                throw new ConfigurationException($"The config file '{path}' is {info.Length} bytes; at most {MaxFileBytes} are accepted.");
            }

            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationException($"The config file '{path}' cannot be read: {e.Message}", e);
        }
    }

    private static void AddJson(ConfigurationBuilder builder, string origin, string json)
    {
        // Parse first ourselves: the provider's own error does not say which file or where.
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, MaxDepth = 32 });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ConfigurationException($"The config in {origin} must be a JSON object at the top level, not {document.RootElement.ValueKind}.");
            }
        }
        catch (JsonException e)
        {
            throw new ConfigurationException($"The config in {origin} is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}): {FirstSentence(e.Message)}", e);
        }

        var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json));
        builder.AddJsonStream(stream);
    }

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return end > 0 ? message[..(end + 1)] : message;
    }
}
