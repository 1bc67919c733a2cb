using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
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
        DataDirectory.RequireAccessible(settings.DataDirectory);

        // Refuse a bad configuration before touching the disk or the network.
        // Bound once: the host below starts from these same objects.
        var options = BoundOptions.Bind(settings);
        if (options.Problems.Count > 0)
        {
            foreach (var problem in options.Problems)
            {
                await context.Error.WriteLineAsync($"overlay: {problem}").ConfigureAwait(false);
            }

            return ExitCodes.Config;
        }

        // Before anything is created: every file of the node is its user's alone (SQLite's -wal and -shm included).
        FileCreationMask.RestrictToOwner();
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

        var host = NodeHostFactory.Build(settings, options, holder);
        try
        {
            try
            {
                await host.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                // Nothing was served. Stop what did start, as a normal stop would, so each part ends cleanly
                // and the host does not report the loops it cancels on disposal as failures of their own.
                await StopQuietlyAsync(host).ConfigureAwait(false);
                if (StartFailure(e) is not { } failure)
                {
                    Log.StartFailed(host.Services.GetRequiredService<ILoggerFactory>().CreateLogger<RunCommand>(), e);
                    throw;
                }

                await context.Error.WriteLineAsync($"overlay: {failure.Message}").ConfigureAwait(false);
                return failure.ExitCode;
            }

            await host.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
            return ExitCodes.Success;
        }
        finally
        {
            if (host is IAsyncDisposable asyncDisposable)
            {
                await asyncDisposable.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                host.Dispose();
            }
        }
    }

    /// <summary>The sentence and exit code for a failure to start that is the operator's to fix; null for a bug.</summary>
    private static (string Message, int ExitCode)? StartFailure(Exception e) => e switch
    {
        // A listen address cannot be bound (in use, or not an address of this host): the configuration
        // asks for something this host cannot give.
        TransportException t => ($"{t.Message.TrimEnd('.')}; listen on a free port of this host (Transport:ListenAddresses or --listen; port 0 picks one).", ExitCodes.Config),
        Control.ControlStartException c => (c.Message, ExitCodes.Config),
        // Opening the store failed: a locked or unwritable store is an operational failure, a damaged one bad data.
        StorageException s => (s.Message, s.Reason is StorageErrorReason.Locked or StorageErrorReason.ReadOnly or StorageErrorReason.CannotOpen ? ExitCodes.Failure : ExitCodes.DataError),
        _ => null,
    };

    private static async Task StopQuietlyAsync(IHost host)
    {
        try
        {
            await host.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The start failure is what the operator must hear; a second failure while undoing it would only hide it.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }
}
