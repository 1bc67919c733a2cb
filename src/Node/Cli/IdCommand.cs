using Overlay.Crypto;
using Overlay.Node.Configuration;
using Overlay.Node.Hosting;

namespace Overlay.Node.Cli;

/// <summary><c>overlay id</c>: prints the node's PeerId.</summary>
public sealed class IdCommand : ICliCommand
{
    public CommandSpec Spec { get; } = Specs.Of(
        "id", "Print this node's PeerId.", "overlay id [--data-dir DIR] [--passphrase-file FILE]", ["--data-dir", "--passphrase-file"]);

    public async Task<int> RunAsync(ParsedArguments args, CliContext context, CancellationToken cancellationToken)
    {
        var dataDirectory = DataDirectory.Resolve(args.Single("--data-dir"), null, context.Environment);
        DataDirectory.RequireAccessible(dataDirectory);
        var store = new IdentityStore(dataDirectory, args.Single("--passphrase-file"), context.Environment);
        if (!store.Exists)
        {
            await context.Error.WriteLineAsync($"overlay: {dataDirectory} has no identity yet; run 'overlay init' (or 'overlay run') first.").ConfigureAwait(false);
            return ExitCodes.Failure;
        }

        try
        {
            using var identity = store.Load();
            await context.Output.WriteLineAsync(identity.PeerId.ToString()).ConfigureAwait(false);
            return ExitCodes.Success;
        }
        catch (KeyFileException e)
        {
            await context.Error.WriteLineAsync($"overlay: {e.Message}").ConfigureAwait(false);
            return ExitCodes.DataError;
        }
    }
}
