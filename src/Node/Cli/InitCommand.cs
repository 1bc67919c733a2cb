using Overlay.Crypto;
using Overlay.Node.Configuration;
using Overlay.Node.Hosting;

namespace Overlay.Node.Cli;

/// <summary><c>overlay init</c>: creates the data directory, the identity key file and a config file.</summary>
public sealed class InitCommand : ICliCommand
{
    public CommandSpec Spec { get; } = Specs.Of(
        "init", "Create the data directory with a new identity and a config file (an existing identity is kept).",
        "overlay init [--data-dir DIR] [--passphrase-file FILE]", ["--data-dir", "--passphrase-file"]);

    public async Task<int> RunAsync(ParsedArguments args, CliContext context, CancellationToken cancellationToken)
    {
        var dataDirectory = DataDirectory.Resolve(args.Single("--data-dir"), null, context.Environment);
        FileCreationMask.RestrictToOwner();
        DataDirectory.Ensure(dataDirectory);
        DataDirectory.RequireAccessible(dataDirectory);
        var store = new IdentityStore(dataDirectory, args.Single("--passphrase-file"), context.Environment);
        try
        {
            using var identity = store.LoadOrCreate(out var result);
            var configPath = Path.Combine(dataDirectory, ConfigurationSources.FileName);
            if (!File.Exists(configPath))
            {
                await WriteOwnerOnlyAsync(configPath, ConfigurationSources.EmbeddedDefaults(), cancellationToken).ConfigureAwait(false);
            }

            var message = result switch
            {
                { Created: true } => $"Created identity {identity.PeerId} in {dataDirectory}",
                { Migrated: true } => $"Migrated identity key file {store.KeyFilePath} to hybrid Ed25519+ML-DSA-65; the PeerId changed from {result.PreviousPeerId} to {identity.PeerId}.",
                _ => $"{dataDirectory} already has identity {identity.PeerId}; it was kept.",
            };
            await context.Output.WriteLineAsync(message).ConfigureAwait(false);
            return ExitCodes.Success;
        }
        catch (KeyFileException e)
        {
            await context.Error.WriteLineAsync($"overlay: {e.Message}").ConfigureAwait(false);
            return ExitCodes.DataError;
        }
    }

    /// <summary>Writes a new file created with mode 0600: a node's settings are its operator's business.</summary>
    private static async Task WriteOwnerOnlyAsync(string path, string text, CancellationToken cancellationToken)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        var stream = new FileStream(path, options);
        await using (stream.ConfigureAwait(false))
        {
            await stream.WriteAsync(System.Text.Encoding.UTF8.GetBytes(text), cancellationToken).ConfigureAwait(false);
        }
    }
}
