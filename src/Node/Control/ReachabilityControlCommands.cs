using System.Globalization;
using System.Text.Json.Nodes;
using Overlay.Node.Configuration;
using Overlay.Node.Reachability;

namespace Overlay.Node.Control;

/// <summary>
/// The control command <c>reachability</c> (what <c>overlay doctor</c> asks a running node): whether peers can
/// dial the address it announces, its DHT mode, its clock against theirs and its routing table's health. A check
/// younger than a minute is answered as it is (peers would refuse a second dial back so soon); else one runs now.
/// </summary>
public sealed class ReachabilityControlCommands(ReachabilityService reachability, ControlOptions controlOptions, TimeProvider time) : IControlCommands
{
    /// <summary>Whether <paramref name="command"/> is one of these.</summary>
    public static bool Serves(string command) => command is "reachability";

    public async Task<ControlReply> ExecuteAsync(ControlRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var timeout = new CancellationTokenSource(controlOptions.OperationTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            var report = await reachability.CurrentAsync(ReachProtocolHandler.PerPeerInterval, linked.Token).ConfigureAwait(false);
            return ControlReply.Ok(reachability.ToJson(report));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return ControlReply.Fail(ControlError.Timeout, string.Create(CultureInfo.InvariantCulture,
                $"The reachability check did not finish within {controlOptions.OperationTimeout.TotalSeconds:0.#} s (Control:OperationTimeout)."));
        }
    }
}
