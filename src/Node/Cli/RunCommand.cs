using Microsoft.Extensions.Hosting;
using Overlay.Crypto;
using Overlay.Node.Configuration;
using Overlay.Node.Hosting;
using Overlay.Storage;
using Overlay.Transport;

namespace Overlay.Node.Cli;

/// <summary><c>overlay run</c>: starts the node and serves until SIGINT or SIGTERM.</summary>
public sealed class RunCommand : ICliCommand
{
    public CommandSpec Spec { get; } = Specs.Of(
        "run", "Start the node (creating an identity on first start) and serve until stopped.",
        "overlay run [--data-dir DIR] [--config FILE] [--listen ADDR]... [--bootstrap ADDR]... [--passphrase-file FILE]",
        ["--data-dir", "--config", "--listen", "--bootstrap", "--passphrase-file"],
        repeatable: ["--listen", "--bootstrap"]);

    public async Task<int> RunAsync(ParsedArguments args, CliContext context, CancellationToken cancellationToken)
    {
        var settings = NodeSettings.Load(
            args.Single("--data-dir"), args.Single("--config"), new Dictionary<string, string?>(), args.All("--listen"), args.All("--bootstrap"), context.Environment);

        // Refuse a bad configuration before touching the disk or the network.
        var problems = NodeHostFactory.Validate(settings);
        if (problems.Count > 0)
        {
            foreach (var problem in problems)
            {
                await context.Error.WriteLineAsync($"overlay: {problem}").ConfigureAwait(false);
            }

            return ExitCodes.Config;
        }

        DataDirectory.Ensure(settings.DataDirectory);
        NodeIdentityHolder holder;
        try
        {
            var store = new IdentityStore(settings.DataDirectory, args.Single("--passphrase-file"), context.Environment);
            var identity = store.LoadOrCreate(out var result);
            holder = new NodeIdentityHolder(identity, result.Created, result.PreviousPeerId);
        }
        catch (KeyFileException e)
        {
            await context.Error.WriteLineAsync($"overlay: {e.Message}").ConfigureAwait(false);
            return ExitCodes.DataError;
        }

        using var host = NodeHostFactory.Build(settings, holder);
        try
        {
            await host.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (StorageException e)
        {
            // Opening the store failed at start: nothing was served, nothing is lost.
            await context.Error.WriteLineAsync($"overlay: {e.Message}").ConfigureAwait(false);
            return e.Reason is StorageErrorReason.Locked or StorageErrorReason.ReadOnly or StorageErrorReason.CannotOpen ? ExitCodes.Failure : ExitCodes.DataError;
        }
        catch (Control.ControlStartException e)
        {
            await context.Error.WriteLineAsync($"overlay: {e.Message}").ConfigureAwait(false);
            return ExitCodes.Failure;
        }
        catch (TransportException e)
        {
            // A listen address could not be bound (in use, not local): nothing was served.
            await context.Error.WriteLineAsync($"overlay: {e.Message}").ConfigureAwait(false);
            return ExitCodes.Failure;
        }

        return ExitCodes.Success;
    }
}
