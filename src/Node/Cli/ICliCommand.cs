namespace Overlay.Node.Cli;

/// <summary>One <c>overlay</c> command.</summary>
public interface ICliCommand
{
    CommandSpec Spec { get; }

    /// <summary>Runs the command; returns the process exit code.</summary>
    Task<int> RunAsync(ParsedArguments args, CliContext context, CancellationToken cancellationToken);
}
