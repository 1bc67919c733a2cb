using Overlay.Crypto;

namespace Overlay.Node.Shards;

/// <summary>One holder of an owned shard: where it is, its checked receipt, the challenges prepared for it and how its last audit went.</summary>
public sealed class ShardHolding
{
    /// <summary>The holder.</summary>
    public required PeerId Peer { get; init; }

    /// <summary>Where it was reached (PeerId pinned).</summary>
    public required string Address { get; set; }

    /// <summary>The encoded receipt, as checked when it arrived.</summary>
    public required byte[] Receipt { get; set; }

    /// <summary>Unspent challenges: nonce and expected answer (secret until spent), 32 bytes each.</summary>
    public List<AuditChallenge> Challenges { get; init; } = [];

    /// <summary>When the last audit ran; null before the first.</summary>
    public DateTimeOffset? LastAuditAt { get; set; }

    /// <summary>Whether it passed; null before the first.</summary>
    public bool? LastAuditPassed { get; set; }

    /// <summary>One sentence on the last audit.</summary>
    public string? LastAuditDetail { get; set; }
}
