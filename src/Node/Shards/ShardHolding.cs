using Overlay.Crypto;

namespace Overlay.Node.Shards;

/// <summary>One holder of an owned shard: where it is, its checked receipt, the challenges prepared for it, how its last audit went and whether it is vetted.</summary>
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

    /// <summary>When its receipt was checked (the store, or the repair that made it a holder); null in records written before probation.</summary>
    public DateTimeOffset? ReceivedAt { get; init; }

    /// <summary>
    /// Whether it has passed an audit taken at least <see cref="Configuration.ShardExchangeOptions.ProbationPeriod"/> after
    /// <see cref="ReceivedAt"/> (docs/PROTOCOL.md, "Probation"); once true it stays true. True for records written before probation.
    /// </summary>
    public bool Vetted { get; set; }
}
