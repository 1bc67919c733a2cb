namespace Overlay.Node.Cli;

/// <summary>What one command accepts: its options (with or without a value) and how many positionals.</summary>
public sealed record CommandSpec(
    string Name,
    string Summary,
    string Usage,
    IReadOnlySet<string> ValueOptions,
    IReadOnlySet<string> FlagOptions,
    int MinPositionals,
    int MaxPositionals,
    IReadOnlySet<string> RepeatableOptions);
