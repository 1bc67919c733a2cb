using System.Globalization;
using System.Text.Json.Nodes;
using Overlay.Node.Control;

namespace Overlay.Node.Cli;

/// <summary>
/// <c>overlay store FILE|DIR|-</c>: stores a file through the running node (cut into stripes, erasure-coded,
/// placed on peers, described by a signed manifest), or a directory (each file so, and a signed directory
/// manifest naming them), and prints the content id that fetches it back.
/// Standard input is first copied into the data directory, which the daemon then reads.
/// </summary>
public sealed class StoreCommand : ICliCommand
{
    public CommandSpec Spec { get; } = Specs.Of(
        "store", "Store a file or a directory on peers (erasure-coded, with a signed manifest) and print its content id; - reads standard input.",
        "overlay store (FILE | DIR | -) [--code K+M] [--name NAME] [--media-type TYPE] [--json] [--data-dir DIR]",
        ["--code", "--name", "--media-type", "--data-dir"], flags: ["--json"], minPositionals: 1, maxPositionals: 1);

    public async Task<int> RunAsync(ParsedArguments args, CliContext context, CancellationToken cancellationToken)
    {
        var source = args.Positionals[0];
        var code = args.Single("--code");
        if (code is not null && !FileControlCommands.TryParseCode(code, out _, out _))
        {
            throw new CliUsageException($"--code '{ParsedArguments.Shorten(code)}' is not K+M with K, M ≥ 1 and K + M ≤ 256 (for example 10+4).");
        }

        var dataDirectory = DaemonCall.DataDirectoryOf(args, context);
        var arguments = new JsonObject { ["code"] = code, ["name"] = args.Single("--name"), ["mediaType"] = args.Single("--media-type") };
        if (source == "-")
        {
            arguments["path"] = await SpoolAsync(context, dataDirectory, cancellationToken).ConfigureAwait(false);
            arguments["deleteAfter"] = true;
        }
        else
        {
            var path = Path.GetFullPath(source, context.WorkingDirectory);
            if (!File.Exists(path) && !Directory.Exists(path))
            {
                await context.Error.WriteLineAsync($"overlay: no file or directory '{ParsedArguments.Shorten(source)}'.").ConfigureAwait(false);
                return ExitCodes.IoError;
            }

            arguments["path"] = path;
        }

        var json = args.Has("--json");
        var request = new JsonObject { ["command"] = "file-store", ["value"] = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(arguments.ToJsonString())) };
        return await DaemonCall.RunAsync(context, dataDirectory, async client =>
        {
            var final = await OperationWatch.RunAsync(client, context, request, json, cancellationToken).ConfigureAwait(false);
            return await FileReplies.PrintAsync(context, final, json, result => string.Create(CultureInfo.InvariantCulture,
                $"{result["id"]}\n"), cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Copies standard input to a new 0600 file in the data directory's <c>spool</c> folder; returns its path.</summary>
    private static async Task<string> SpoolAsync(CliContext context, string dataDirectory, CancellationToken cancellationToken)
    {
        var folder = Path.Combine(dataDirectory, "spool");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "stdin-" + Guid.NewGuid().ToString("N"));
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Options = FileOptions.Asynchronous };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        var output = new FileStream(path, options);
        await using (output.ConfigureAwait(false))
        {
            var input = context.OpenInput();
            await using (input.ConfigureAwait(false))
            {
                await input.CopyToAsync(output, 1 << 20, cancellationToken).ConfigureAwait(false);
            }
        }

        return path;
    }
}
