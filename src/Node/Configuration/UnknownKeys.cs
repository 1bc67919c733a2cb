using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace Overlay.Node.Configuration;

/// <summary>
/// Finds configuration keys that no options class reads, so a misspelt key is reported rather than
/// silently ignored.
/// </summary>
public static class UnknownKeys
{
    public static IReadOnlyList<string> Find(IConfiguration configuration, IReadOnlyDictionary<string, Type> sections)
    {
        var unknown = new List<string>();
        foreach (var child in configuration.GetChildren())
        {
            if (OptionsSections.PassThrough.Contains(child.Key))
            {
                continue;
            }

            if (!OptionsSections.TryFind(sections, child.Key, out var type))
            {
                unknown.Add(child.Path);
                continue;
            }

            Walk(child, type, unknown);
        }

        return unknown;
    }

    [UnconditionalSuppressMessage("Trimming", "IL2072", Justification = "A nested section's class is a property's type; the options classes hold none (their properties are numbers, text, durations, names and lists), so trimming has nothing to keep there.")]
    private static void Walk(IConfigurationSection section, [DynamicallyAccessedMembers(OptionsSections.ReadMembers)] Type type, List<string> unknown)
    {
        foreach (var child in section.GetChildren())
        {
            var property = type.GetProperty(child.Key, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (property is null || !property.CanWrite && !IsCollection(property.PropertyType))
            {
                unknown.Add(child.Path);
                continue;
            }

            var propertyType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (IsNested(propertyType))
            {
                Walk(child, propertyType, unknown);
            }
        }
    }

    private static bool IsCollection(Type type) => type.IsArray || (type.IsGenericType && typeof(System.Collections.IEnumerable).IsAssignableFrom(type) && type != typeof(string));

    private static bool IsNested(Type type) =>
        type.IsClass && type != typeof(string) && !IsCollection(type);
}
