namespace Overlay.Dht.Persistence;

/// <summary>One problem met while loading saved DHT state: what kind, and one sentence of detail (never record contents).</summary>
public readonly record struct DhtStateProblem(DhtStateError Error, string Detail);
