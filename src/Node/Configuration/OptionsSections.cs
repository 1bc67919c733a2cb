namespace Overlay.Node.Configuration;

/// <summary>Which options class a configuration section binds to; section names are not case-sensitive, like every key.</summary>
internal static class OptionsSections
{
    /// <summary>Sections passed through to libraries as they are: no options class of the node's reads them.</summary>
    public static readonly IReadOnlySet<string> PassThrough = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "Logging" };

    /// <summary>The options class of section <paramref name="key"/>; false for a section no class binds.</summary>
    public static bool TryFind(IReadOnlyDictionary<string, Type> sections, string key, out Type type)
    {
        foreach (var pair in sections)
        {
            if (string.Equals(pair.Key, key, StringComparison.OrdinalIgnoreCase))
            {
                type = pair.Value;
                return true;
            }
        }

        type = typeof(object);
        return false;
    }
}
