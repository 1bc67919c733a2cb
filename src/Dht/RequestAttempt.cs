using Overlay.Transport.Interactions;

namespace Overlay.Dht;

/// <summary>How one request to a peer ended (<see cref="DhtRequestRunner"/>).</summary>
/// <param name="Value">The answer, when <see cref="Answered"/>.</param>
/// <param name="Result">How it ended.</param>
/// <param name="ElapsedMs">From sending to the answer or failure, in ms (a new connection's handshake included).</param>
/// <param name="RateLimited">The peer refused under its rate limit: it is alive, and the routing table must not count it as failing.</param>
internal readonly record struct RequestAttempt<T>(T? Value, InteractionResult Result, double ElapsedMs, bool RateLimited = false)
{
    /// <summary>The peer answered and the answer checked out.</summary>
    public bool Answered => Result == InteractionResult.Succeeded;
}
