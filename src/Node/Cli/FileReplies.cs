using System.Text.Json.Nodes;

namespace Overlay.Node.Cli;

/// <summary>Prints the end of a file operation: its result (as JSON with <c>--json</c>), or its error as one sentence and an exit code.</summary>
internal static class FileReplies
{
    public static async Task<int> PrintAsync(CliContext context, JsonObject final, bool json, Func<JsonObject, string> format, CancellationToken cancellationToken)
    {
        var state = final["state"]?.GetValue<string>();
        if (json)
        {
            final.Remove("ok");
            await context.Output.WriteAsync(final.ToJsonString(CliJson.Indented) + "\n").ConfigureAwait(false);
        }

        if (state == "done")
        {
            if (!json)
            {
                await context.Output.WriteAsync(format(final["result"]!.AsObject()).AsMemory(), cancellationToken).ConfigureAwait(false);
            }

            return ExitCodes.Success;
        }

        var error = final["error"]?.GetValue<string>();
        await context.Error.WriteLineAsync($"overlay: {final["message"]?.GetValue<string>() ?? error}").ConfigureAwait(false);
        return OperationWatch.ExitCodeOf(error);
    }
}
