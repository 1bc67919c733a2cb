namespace Overlay.Dht.Routing;

/// <summary>The outcome of observing a contact, with the contact to ping when a bucket is full.</summary>
public readonly record struct ObserveResult(ObserveOutcome Outcome, Contact? PingTarget);
