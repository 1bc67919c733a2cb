using System.Diagnostics.CodeAnalysis;

namespace Overlay.Node.Configuration;

/// <summary>Which options class a configuration section binds to; section names are not case-sensitive, like every key.</summary>
internal static class OptionsSections
{
    /// <summary>Sections passed through to libraries as they are: no options class of the node's reads them.</summary>
    public static readonly IReadOnlySet<string> PassThrough = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "Logging" };

    /// <summary>What the configuration checks read of an options class by reflection: its properties (looked up ignoring case, which the analysis counts as any property).</summary>
    public const DynamicallyAccessedMemberTypes ReadMembers = DynamicallyAccessedMemberTypes.PublicProperties | DynamicallyAccessedMemberTypes.NonPublicProperties;

    /// <summary>
    /// The type of options class <typeparamref name="T"/> for <see cref="Hosting.NodeHostFactory.Sections"/>: through this
    /// method a trimmed (NativeAOT) build keeps the class's properties, which the checks of unknown keys and
    /// of value kinds look up by name.
    /// </summary>
    public static Type Of<[DynamicallyAccessedMembers(ReadMembers)] T>() => typeof(T);

    /// <summary>The options class of section <paramref name="key"/>; false for a section no class binds.</summary>
    [UnconditionalSuppressMessage("Trimming", "IL2072", Justification = "The sections are NodeHostFactory.Sections (or, in tests, the same classes), whose types come through Of<T>, which keeps their properties.")]
    public static bool TryFind(IReadOnlyDictionary<string, Type> sections, string key, [DynamicallyAccessedMembers(ReadMembers)] out Type type)
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
