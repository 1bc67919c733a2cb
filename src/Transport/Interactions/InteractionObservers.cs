namespace Overlay.Transport.Interactions;

/// <summary>Observers every protocol can fall back on.</summary>
public static class InteractionObservers
{
    /// <summary>Ignores every outcome: for a protocol whose host observes nothing.</summary>
    public static IInteractionObserver None { get; } = new Ignoring();

    private sealed class Ignoring : IInteractionObserver
    {
        public void Observe(in InteractionOutcome outcome)
        {
        }
    }
}
