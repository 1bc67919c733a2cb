namespace Overlay.Node.Cli;

/// <summary>What a command may touch of its surroundings: standard streams and the environment.</summary>
public sealed class CliContext(TextWriter output, TextWriter error, Func<string, string?> environment, Func<Stream>? openInput = null)
{
    public TextWriter Output { get; } = output;

    public TextWriter Error { get; } = error;

    public Func<string, string?> Environment { get; } = environment;

    /// <summary>Opens standard input (for commands reading <c>-</c>); tests give a finite stream.</summary>
    public Func<Stream> OpenInput { get; } = openInput ?? (() => Stream.Null);

    /// <summary>Whether the error stream is a terminal (long operations then draw a live progress bar on it).</summary>
    public bool ErrorIsTerminal { get; init; }

    /// <summary>The clock progress polling and its throttling run on; the system clock outside tests.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>The directory relative paths are resolved against.</summary>
    public string WorkingDirectory { get; init; } = System.Environment.CurrentDirectory;

    public static CliContext FromConsole() => new(Console.Out, Console.Error, System.Environment.GetEnvironmentVariable, Console.OpenStandardInput)
    {
        ErrorIsTerminal = !Console.IsErrorRedirected,
    };
}
