using System.Text.Json.Nodes;
using Overlay.Node.Configuration;
using Overlay.Node.Control;

namespace Overlay.Node.Cli;

/// <summary>Sends one control request to the daemon of the chosen data directory and turns its failures into one sentence and an exit code.</summary>
internal static class DaemonCall
{
    /// <summary>Longest a command waits for the daemon; a put or get in the network is bounded by the daemon's Control:OperationTimeout.</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromMinutes(11);

    /// <summary>The data directory the command names; throws <see cref="DataDirectoryAccessException"/> when this user cannot read it.</summary>
    public static string DataDirectoryOf(ParsedArguments args, CliContext context)
    {
        var path = DataDirectory.Resolve(args.Single("--data-dir"), null, context.Environment);
        DataDirectory.RequireAccessible(path);
        return path;
    }

    public static Task<int> RunAsync(CliContext context, string dataDirectory, JsonObject request, Func<JsonObject, Task<int>> onReply, CancellationToken cancellationToken) =>
        RunAsync(context, dataDirectory, async client => await onReply(await client.SendAsync(request, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false), cancellationToken);

    /// <summary>
    /// Asks the daemon for <paramref name="command"/> (a request without arguments) and prints the reply:
    /// as indented JSON with <c>--json</c>, else as <paramref name="format"/> renders it for a person.
    /// </summary>
    public static Task<int> ShowAsync(ParsedArguments args, CliContext context, string command, Func<JsonObject, string> format, CancellationToken cancellationToken)
    {
        var json = args.Has("--json");
        return RunAsync(context, DataDirectoryOf(args, context), new JsonObject { ["command"] = command }, async reply =>
        {
            reply.Remove("ok");
            await context.Output.WriteAsync(json ? reply.ToJsonString(CliJson.Indented) + "\n" : format(reply)).ConfigureAwait(false);
            return ExitCodes.Success;
        }, cancellationToken);
    }

    /// <summary>Connects, runs <paramref name="conversation"/> (one or more requests), and maps control failures to exit codes.</summary>
    public static async Task<int> RunAsync(CliContext context, string dataDirectory, Func<ControlClient, Task<int>> conversation, CancellationToken cancellationToken)
    {
        try
        {
            var client = await ControlClient.ConnectAsync(dataDirectory, MaxWait, cancellationToken).ConfigureAwait(false);
            await using (client.ConfigureAwait(false))
            {
                return await conversation(client).ConfigureAwait(false);
            }
        }
        catch (ControlClientException e)
        {
            await context.Error.WriteLineAsync($"overlay: {e.Message}").ConfigureAwait(false);
            return e.Error switch
            {
                ControlClientError.NoDaemon => ExitCodes.Unavailable,
                ControlClientError.BadToken or ControlClientError.NoAccess => ExitCodes.NoPermission,
                ControlClientError.Refused => e.DaemonError switch
                {
                    ControlError.NotFound => ExitCodes.NotFound,
                    ControlError.ValueTooLarge => ExitCodes.DataError,
                    ControlError.BadArgument => ExitCodes.Usage,
                    _ => ExitCodes.Failure,
                },
                _ => ExitCodes.Failure,
            };
        }
    }
}
