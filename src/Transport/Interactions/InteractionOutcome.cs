using Overlay.Crypto;

namespace Overlay.Transport.Interactions;

/// <summary>
/// One completed or failed exchange with a peer, started by this node: who, which protocol and operation,
/// how it ended, what it cost and how long it took. Published through <see cref="IInteractionObserver"/>.
/// </summary>
/// <param name="Peer">The peer the exchange was with.</param>
/// <param name="Protocol">The protocol it ran under (<c>dht/1</c>, <c>shard/1</c>, …).</param>
/// <param name="Operation">The operation within the protocol, a short constant name (<c>find_node</c>, <c>store</c>, <c>audit</c>, …).</param>
/// <param name="Result">How it ended.</param>
/// <param name="BytesSent">Payload bytes this node sent (0 when not known).</param>
/// <param name="BytesReceived">Payload bytes the peer sent back (0 when not known or none).</param>
/// <param name="Latency">From the request's start to its end (answer, failure or deadline), on the node's clock.</param>
public readonly record struct InteractionOutcome(
    PeerId Peer,
    ProtocolId Protocol,
    string Operation,
    InteractionResult Result,
    long BytesSent,
    long BytesReceived,
    TimeSpan Latency);
