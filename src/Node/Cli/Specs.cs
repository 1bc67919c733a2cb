namespace Overlay.Node.Cli;

/// <summary>Builds <see cref="CommandSpec"/> values tersely.</summary>
internal static class Specs
{
    public static CommandSpec Of(string name, string summary, string usage, string[] valueOptions, string[]? flags = null, int minPositionals = 0, int maxPositionals = 0, string[]? repeatable = null) =>
        new(name, summary, usage,
            new HashSet<string>(valueOptions, StringComparer.Ordinal),
            new HashSet<string>(flags ?? [], StringComparer.Ordinal),
            minPositionals, maxPositionals,
            new HashSet<string>(repeatable ?? [], StringComparer.Ordinal));
}
