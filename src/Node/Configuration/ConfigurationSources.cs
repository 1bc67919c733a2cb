using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
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

    /// <summary>
    /// Layers the sources, later wins. Each file is checked on its own (JSON syntax, then the kind of
    /// every value of <paramref name="sections"/>), so a problem names the file it is in. Objects merge
    /// key by key; any other value, a list included, replaces the earlier one whole: a list given in a
    /// later file is the list, not a patch over the earlier list's first entries.
    /// </summary>
    /// <exception cref="ConfigurationException">A file is missing, unreadable, not JSON, or holds a value of the wrong kind.</exception>
    public static IConfigurationRoot Build(
        string? dataDirectoryFile, string? explicitFile, IReadOnlyDictionary<string, string?> overrides, IReadOnlyDictionary<string, Type> sections)
    {
        ArgumentNullException.ThrowIfNull(sections);
        var merged = Parse("the embedded defaults", EmbeddedDefaults(), sections);
        if (dataDirectoryFile is not null && File.Exists(dataDirectoryFile))
        {
            Merge(merged, Parse(dataDirectoryFile, ReadFile(dataDirectoryFile), sections));
        }

        if (explicitFile is not null)
        {
            if (!File.Exists(explicitFile))
            {
                throw new ConfigurationException($"The config file '{explicitFile}' does not exist.");
            }

            Merge(merged, Parse(explicitFile, ReadFile(explicitFile), sections));
        }

        var builder = new ConfigurationBuilder();
        builder.AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(merged.ToJsonString())));
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

    /// <summary>
    /// Parses one source: JSON with comments and trailing commas (the file is edited by hand, and both
    /// are common in hand-edited JSON), one object at the top, every known value of the right kind.
    /// </summary>
    private static JsonObject Parse(string origin, string json, IReadOnlyDictionary<string, Type> sections)
    {
        // Parsed here rather than by the configuration provider: its error names neither the file nor the place.
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, DocumentOptions);
        }
        catch (JsonException e)
        {
            throw new ConfigurationException($"The config in {origin} is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}): {FirstSentence(e.Message)}", e);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ConfigurationException($"The config in {origin} must be a JSON object at the top level, not {document.RootElement.ValueKind}.");
            }

            var problems = ConfigurationTypes.Check(document.RootElement, origin, sections);
            if (problems.Count > 0)
            {
                throw new ConfigurationException(string.Join(Environment.NewLine, problems));
            }

            return (JsonObject)JsonNode.Parse(document.RootElement.GetRawText(), documentOptions: DocumentOptions)!;
        }
    }

    /// <summary>Merges <paramref name="later"/> into <paramref name="into"/>: objects key by key (keys are not case-sensitive), anything else replaced whole.</summary>
    private static void Merge(JsonObject into, JsonObject later)
    {
        foreach (var (name, value) in later.ToList())
        {
            string? existing = null;
            foreach (var (key, _) in into)
            {
                if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
                {
                    existing = key;
                    break;
                }
            }

            if (existing is not null && into[existing] is JsonObject earlier && value is JsonObject nested)
            {
                Merge(earlier, nested);
                continue;
            }

            if (existing is not null)
            {
                into.Remove(existing);
            }

            later.Remove(name);
            into[name] = value;
        }
    }

    private static readonly JsonDocumentOptions DocumentOptions = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, MaxDepth = 32 };

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return end > 0 ? message[..(end + 1)] : message;
    }
}
