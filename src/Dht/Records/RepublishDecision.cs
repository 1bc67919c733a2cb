namespace Overlay.Dht.Records;

/// <summary>
/// A record to store again on the k closest nodes now. <see cref="PublishedLocally"/> records are this
/// node's own (the publisher should re-sign with a later expiry when <see cref="NeedsResign"/>); the
/// others are replicas re-sent so that they survive the nodes that hold them leaving (Kademlia §2.5).
/// </summary>
public readonly record struct RepublishDecision(DhtRecord Record, bool PublishedLocally, bool NeedsResign);
