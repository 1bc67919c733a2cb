using Overlay.Transport;

namespace Overlay.Node.Reachability;

/// <summary>A decoded <c>reach/1</c> answer.</summary>
/// <param name="Status">What the responder says.</param>
/// <param name="DialError">Why the dial back failed, for <see cref="ReachStatus.Unreachable"/>; null otherwise.</param>
/// <param name="PeerTimeUnixMs">The responder's clock when it answered, Unix milliseconds.</param>
/// <param name="Observed">The address the responder sees the request coming from (<c>scheme://host:port</c>); empty when it did not say.</param>
public sealed record ReachAnswer(ReachStatus Status, TransportError? DialError, long PeerTimeUnixMs, string Observed);
