using System.Text.Json.Nodes;
using Overlay.Node.Configuration;
using Overlay.Node.Doctor;
using Overlay.Node.Hosting;

namespace Overlay.Node.Cli;

/// <summary>
/// <c>overlay doctor</c>: checks what a node needs (configuration, file modes, disk, ports, QUIC, bootstrap
/// peers, clock; reachability, DHT mode, clock skew and routing table, from peers) and prints each verdict with a one-line fix. Exit 0 when nothing failed, 1 when something did.
/// </summary>
public sealed class DoctorCommand : ICliCommand
{
    public CommandSpec Spec { get; } = Specs.Of(
        "doctor", "Check the node's configuration, files, disk, ports, QUIC, bootstrap peers and clock, and with a node running whether peers can dial it, its DHT mode, clock skew and routing table; each with a verdict and a fix. Exit 1 if a check failed.",
        "overlay doctor [--json] [--data-dir DIR] [--config FILE] [--listen ADDR]... [--bootstrap ADDR]... [--timeout SECONDS]",
        ["--data-dir", "--config", "--listen", "--bootstrap", "--timeout"], flags: ["--json"], repeatable: ["--listen", "--bootstrap"]);

    public async Task<int> RunAsync(ParsedArguments args, CliContext context, CancellationToken cancellationToken)
    {
        var timeout = TimeSpan.FromSeconds(args.PositiveInteger("--timeout", 5, 300));
        NodeSettings settings;
        try
        {
            settings = NodeSettings.Load(args.Single("--data-dir"), args.Single("--config"), new Dictionary<string, string?>(),
                args.All("--listen"), args.All("--bootstrap"), context.Environment);
        }
        catch (ConfigurationException e)
        {
            // A file that cannot be read as configuration is the doctor's finding, not its failure.
            var checks = new[] { NodeDoctor.Configuration([e.Message]) };
            await WriteAsync(context, checks, args.Has("--json")).ConfigureAwait(false);
            return NodeDoctor.ExitCodeOf(checks);
        }

        var results = await new NodeDoctor(settings, timeout).RunAsync(cancellationToken).ConfigureAwait(false);
        await WriteAsync(context, results, args.Has("--json")).ConfigureAwait(false);
        return NodeDoctor.ExitCodeOf(results);
    }

    internal static async Task WriteAsync(CliContext context, IReadOnlyList<DoctorCheck> checks, bool json)
    {
        if (json)
        {
            var array = new JsonArray();
            foreach (var c in checks)
            {
                array.Add((JsonNode)new JsonObject { ["check"] = c.Name, ["verdict"] = c.Verdict.ToString().ToLowerInvariant(), ["detail"] = c.Detail, ["fix"] = c.Fix });
            }

            await context.Output.WriteLineAsync(new JsonObject { ["checks"] = array }.ToJsonString(CliJson.Indented)).ConfigureAwait(false);
            return;
        }

        foreach (var c in checks)
        {
            var verdict = c.Verdict switch
            {
                DoctorVerdict.Ok => "ok  ",
                DoctorVerdict.Warning => "WARN",
                DoctorVerdict.Failed => "FAIL",
                _ => "skip",
            };
            await context.Output.WriteLineAsync($"{verdict}  {c.Name}: {c.Detail}").ConfigureAwait(false);
            if (c.Fix is not null)
            {
                await context.Output.WriteLineAsync($"      fix: {c.Fix}").ConfigureAwait(false);
            }
        }

        var failed = checks.Count(c => c.Verdict == DoctorVerdict.Failed);
        var warned = checks.Count(c => c.Verdict == DoctorVerdict.Warning);
        await context.Output.WriteLineAsync($"{checks.Count} checks: {failed} failed, {warned} warning(s).").ConfigureAwait(false);
    }
}
