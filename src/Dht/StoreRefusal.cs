using Overlay.Crypto;
using Overlay.Dht.Records;

namespace Overlay.Dht;

/// <summary>One peer that did not keep a put's record, and why (its last verdict).</summary>
public readonly record struct StoreRefusal(PeerId Peer, RecordRejection Reason);
