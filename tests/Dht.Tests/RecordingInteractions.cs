using Overlay.Transport.Interactions;

namespace Overlay.Dht.Tests;

/// <summary>Keeps every outcome published through the interaction seam, in order.</summary>
internal sealed class RecordingInteractions : IInteractionObserver
{
    private readonly Lock _gate = new();
    private readonly List<InteractionOutcome> _outcomes = [];

    public IReadOnlyList<InteractionOutcome> Outcomes
    {
        get
        {
            lock (_gate)
            {
                return [.. _outcomes];
            }
        }
    }

    public void Observe(in InteractionOutcome outcome)
    {
        lock (_gate)
        {
            _outcomes.Add(outcome);
        }
    }
}
