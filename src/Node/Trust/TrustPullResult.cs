using Overlay.Crypto;
using Overlay.Transport.Interactions;

namespace Overlay.Node.Trust;

/// <summary>What one <c>trust/1</c> pull from a peer brought: how it ended for the interaction seam, the records listed, fetched and accepted, and the bytes each way.</summary>
public sealed record TrustPullResult(
    PeerId Peer, InteractionResult Result, int Listed, int RecordsFetched, int Accepted, int Refused, long BytesSent, long BytesReceived, TimeSpan Latency);
