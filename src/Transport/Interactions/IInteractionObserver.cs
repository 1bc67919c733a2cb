namespace Overlay.Transport.Interactions;

/// <summary>
/// The one seam through which a node's protocols report how each exchange with a peer went, so trust and
/// placement can learn how peers behave without reaching into any protocol's state. Called on the thread
/// that finished the exchange: implementations are thread-safe, quick, and never throw.
/// </summary>
public interface IInteractionObserver
{
    /// <summary>Records one finished exchange.</summary>
    void Observe(in InteractionOutcome outcome);
}
