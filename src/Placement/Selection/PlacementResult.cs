using Overlay.Crypto;

namespace Overlay.Placement.Selection;

/// <summary>The peers chosen for an object, in the order they were chosen, and what fell short.</summary>
/// <param name="Peers">The chosen peers; those past a cap come last.</param>
/// <param name="Outcome">Counts of the placement and its shortfall.</param>
public sealed record PlacementResult(IReadOnlyList<PeerId> Peers, PlacementOutcome Outcome);
