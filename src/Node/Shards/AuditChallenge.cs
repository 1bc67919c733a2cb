namespace Overlay.Node.Shards;

/// <summary>A prepared audit challenge: the nonce sent, and the answer only a holder of the bytes can compute (32 bytes each).</summary>
public sealed record AuditChallenge(byte[] Nonce, byte[] Answer);
