using Overlay.Node.Cli;

namespace Overlay.Node;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var cli = new OverlayCli(Commands.All());
        try
        {
            return await cli.RunAsync(args, CliContext.FromConsole(), CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The last line of defence: a user sees one sentence, never a stack trace.
        catch (Exception e)
#pragma warning restore CA1031
        {
            await Console.Error.WriteLineAsync($"overlay: unexpected {e.GetType().Name}: {e.Message}").ConfigureAwait(false);
            return ExitCodes.Failure;
        }
    }
}
