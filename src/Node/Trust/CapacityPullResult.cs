using Overlay.Crypto;
using Overlay.Placement.Capacity;
using Overlay.Transport.Interactions;

namespace Overlay.Node.Trust;

/// <summary>How one CAPACITY ask ended: the peer, the result on the interaction seam, the book's verdict on the record, bytes each way and how long it took.</summary>
public sealed record CapacityPullResult(PeerId Peer, InteractionResult Result, CapacityRecordRejection Verdict, long BytesSent, long BytesReceived, TimeSpan Latency);
