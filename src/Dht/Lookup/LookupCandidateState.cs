namespace Overlay.Dht.Lookup;

/// <summary>Where a lookup stands with one candidate.</summary>
internal enum LookupCandidateState : byte
{
    /// <summary>Known, not asked yet.</summary>
    Pending,

    /// <summary>Asked, and awaited.</summary>
    InFlight,

    /// <summary>Answered.</summary>
    Answered,

    /// <summary>The request failed (timeout, refusal, bad answer).</summary>
    Failed,

    /// <summary>Still in flight, but no longer awaited: counts as failed until an answer arrives.</summary>
    GaveUp,
}
