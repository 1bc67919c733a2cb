using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Overlay.Node.Cli;

/// <summary><c>overlay ls</c>: the content this node stored or pinned, with size, code and pin state.</summary>
public sealed class LsCommand : ICliCommand
{
    public CommandSpec Spec { get; } = Specs.Of(
        "ls", "List the content this node stored or pinned: id, size, code, pinned or not, name.",
        "overlay ls [--json] [--data-dir DIR]", ["--data-dir"], flags: ["--json"]);

    public Task<int> RunAsync(ParsedArguments args, CliContext context, CancellationToken cancellationToken) =>
        DaemonCall.ShowAsync(args, context, "file-ls", Format, cancellationToken);

    internal static string Format(JsonObject reply)
    {
        var text = new StringBuilder();
        foreach (var entry in reply["content"]!.AsArray())
        {
            text.Append(CultureInfo.InvariantCulture,
                $"{entry!["id"]}  {entry["bytes"],14} B  {(entry["kind"]?.GetValue<string>() == "directory" ? "dir" : entry["code"]),-6} {(entry["pinned"]!.GetValue<bool>() ? "pinned  " : "unpinned")}  {(entry["storedHere"]!.GetValue<bool>() ? "stored here" : "pinned from elsewhere")}  {entry["name"]?.GetValue<string>() ?? "-"}\n");
        }

        return text.Length == 0 ? "No content stored or pinned on this node.\n" : text.ToString();
    }
}
