using System.Globalization;
using System.Text.Json.Nodes;
using Overlay.Node.Control;
using Spectre.Console;

namespace Overlay.Node.Cli;

/// <summary>
/// Starts a file operation in the daemon and follows it until it ends: a live progress bar (bytes, rate,
/// time left, shards) on a terminal; on a pipe or file, one plain <c>progress …</c> line a second, on
/// standard error, so standard output holds only the result; nothing with <c>--json</c>. Ctrl+C asks the
/// daemon to cancel the operation.
/// </summary>
internal static class OperationWatch
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(1);

    /// <summary>The final progress reply (state <c>done</c> or <c>failed</c>).</summary>
    public static async Task<JsonObject> RunAsync(ControlClient client, CliContext context, JsonObject start, bool json, CancellationToken cancellationToken)
    {
        var started = await client.SendAsync(start, cancellationToken).ConfigureAwait(false);
        var operation = started["operation"]!.GetValue<string>();
        try
        {
            if (json)
            {
                return await PollAsync(client, context.Time, operation, _ => { }, cancellationToken).ConfigureAwait(false);
            }

            if (!context.ErrorIsTerminal)
            {
                var last = DateTimeOffset.MinValue;
                return await PollAsync(client, context.Time, operation, reply =>
                {
                    var now = context.Time.GetUtcNow();
                    if (now - last >= PlainInterval || reply["state"]?.GetValue<string>() != "running")
                    {
                        last = now;
                        context.Error.WriteLine(PlainLine(reply));
                    }
                }, cancellationToken).ConfigureAwait(false);
            }

            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(context.Error) });
            JsonObject? final = null;
            await console.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
                .StartAsync(async progress =>
                {
                    var task = progress.AddTask(Markup.Escape(operation));
                    final = await PollAsync(client, context.Time, operation, reply =>
                    {
                        var p = reply["progress"]!;
                        task.MaxValue = Math.Max(1, p["totalBytes"]!.GetValue<long>());
                        task.Value = p["doneBytes"]!.GetValue<long>();
                        task.Description = Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                            $"{reply["kind"]} {p["shardsDone"]}/{p["shardsTotal"]} shards{(p["shardsFailed"]!.GetValue<long>() > 0 ? $", {p["shardsFailed"]} failed" : "")}"));
                    }, cancellationToken).ConfigureAwait(false);
                }).ConfigureAwait(false);
            return final!;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Interrupted here: the daemon stops too (a fetch keeps its partial file to resume).
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5), context.Time);
            try
            {
                await client.SendAsync(new JsonObject { ["command"] = "file-cancel", ["key"] = operation }, grace.Token).ConfigureAwait(false);
            }
            catch (ControlClientException)
            {
                // The daemon went away as well; nothing more to stop.
            }

            throw;
        }
    }

    /// <summary>The exit code for a failed operation's <c>error</c>.</summary>
    public static int ExitCodeOf(string? error) => error switch
    {
        "ManifestNotFound" => ExitCodes.NotFound,
        "StripeUnavailable" => ExitCodes.Unavailable,
        "BadManifest" or "ContentMismatch" or "TooLarge" => ExitCodes.DataError,
        "ReadFailed" or "WriteFailed" => ExitCodes.IoError,
        "BadRange" or "BadParameters" => ExitCodes.Usage,
        "PlacementFailed" => ExitCodes.TooFewReplicas,
        _ => ExitCodes.Failure,
    };

    /// <summary>One progress line: <c>progress OP STATE done=B total=B shards=D/T failed=F hedges=H elapsed=S</c>.</summary>
    public static string PlainLine(JsonObject reply)
    {
        var p = reply["progress"]!;
        return string.Create(CultureInfo.InvariantCulture,
            $"progress {reply["operation"]} {reply["state"]} done={p["doneBytes"]} total={p["totalBytes"]} shards={p["shardsDone"]}/{p["shardsTotal"]} failed={p["shardsFailed"]} hedges={p["hedges"]} elapsed={reply["elapsedSeconds"]!.GetValue<double>():0.0}");
    }

    private static async Task<JsonObject> PollAsync(ControlClient client, TimeProvider time, string operation, Action<JsonObject> onUpdate, CancellationToken cancellationToken)
    {
        // The daemon holds each request until the operation ends or the interval passes (a long poll), so
        // the end is seen at once; an older daemon answers at once, and the delay then paces the polling.
        var waitArgument = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(
            new JsonObject { ["waitMs"] = (int)PollInterval.TotalMilliseconds }.ToJsonString()));
        var request = new JsonObject { ["command"] = "file-progress", ["key"] = operation, ["value"] = waitArgument };
        while (true)
        {
            var asked = time.GetTimestamp();
            var reply = await client.SendAsync(request, cancellationToken).ConfigureAwait(false);
            onUpdate(reply);
            if (reply["state"]?.GetValue<string>() != "running")
            {
                return reply;
            }

            var left = PollInterval - time.GetElapsedTime(asked);
            if (left > TimeSpan.Zero)
            {
                await Task.Delay(left, time, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
