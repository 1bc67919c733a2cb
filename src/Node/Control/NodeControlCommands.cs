namespace Overlay.Node.Control;

/// <summary>
/// The node's control commands: <c>shard-*</c> to <see cref="ShardControlCommands"/>, <c>reachability</c> to
/// <see cref="ReachabilityControlCommands"/>, everything else to <see cref="DhtControlCommands"/>.
/// </summary>
public sealed class NodeControlCommands(DhtControlCommands dht, ShardControlCommands shards, ReachabilityControlCommands reachability) : IControlCommands
{
    public Task<ControlReply> ExecuteAsync(ControlRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return ShardControlCommands.Serves(request.Command) ? shards.ExecuteAsync(request, cancellationToken)
            : ReachabilityControlCommands.Serves(request.Command) ? reachability.ExecuteAsync(request, cancellationToken)
            : dht.ExecuteAsync(request, cancellationToken);
    }
}
