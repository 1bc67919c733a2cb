namespace Overlay.Node.Trust;

/// <summary>One record in a <c>trust/1</c> RECORDS answer: the encoded record, and the issuer's encoded identity key (empty when not asked for).</summary>
public readonly record struct TrustRecordDelivery(ReadOnlyMemory<byte> Key, ReadOnlyMemory<byte> Record);
