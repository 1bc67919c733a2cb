namespace Overlay.Node.Cli;

/// <summary>What a command may touch of its surroundings: output streams and the environment.</summary>
public sealed class CliContext(TextWriter output, TextWriter error, Func<string, string?> environment)
{
    public TextWriter Output { get; } = output;

    public TextWriter Error { get; } = error;

    public Func<string, string?> Environment { get; } = environment;

    public static CliContext FromConsole() => new(Console.Out, Console.Error, System.Environment.GetEnvironmentVariable);
}
