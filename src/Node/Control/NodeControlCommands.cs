namespace Overlay.Node.Control;

/// <summary>
/// The node's control commands: <c>shard-*</c> to <see cref="ShardControlCommands"/>, <c>file-*</c> to
/// <see cref="FileControlCommands"/>, everything else to <see cref="DhtControlCommands"/>.
/// </summary>
public sealed class NodeControlCommands(DhtControlCommands dht, ShardControlCommands shards, FileControlCommands files) : IControlCommands
{
    public Task<ControlReply> ExecuteAsync(ControlRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return ShardControlCommands.Serves(request.Command) ? shards.ExecuteAsync(request, cancellationToken)
            : FileControlCommands.Serves(request.Command) ? files.ExecuteAsync(request, cancellationToken)
            : dht.ExecuteAsync(request, cancellationToken);
    }
}
