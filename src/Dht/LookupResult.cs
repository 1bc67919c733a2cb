namespace Overlay.Dht;

/// <summary>The outcome of a lookup: the closest peers that answered (closest first) and its cost.</summary>
/// <param name="Closest">Up to k peers, closest to the target first.</param>
/// <param name="Requests">Requests sent.</param>
/// <param name="Failures">Requests that failed or timed out.</param>
/// <param name="Hops">Depth at which the closest answering peer was found (seed = 1).</param>
public sealed record LookupResult(IReadOnlyList<DhtPeer> Closest, int Requests, int Failures, int Hops);
