namespace Overlay.Node.Control;

/// <summary>Carries out control requests that passed the token and size checks.</summary>
public interface IControlCommands
{
    /// <summary>Runs <paramref name="request"/>; failures the client should see are replies, not exceptions.</summary>
    Task<ControlReply> ExecuteAsync(ControlRequest request, CancellationToken cancellationToken);
}
