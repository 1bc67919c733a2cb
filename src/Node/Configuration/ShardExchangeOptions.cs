using System.Globalization;

namespace Overlay.Node.Configuration;

/// <summary>
/// The <c>ShardExchange</c> section: how the node keeps shards for peers over <c>shard/1</c> and
/// places its own (docs/PROTOCOL.md, "Shard protocol"). Defaults equal node.config.json.
/// </summary>
public sealed class ShardExchangeOptions
{
    public const string SectionName = "ShardExchange";

    /// <summary>Whether the node keeps shards for peers; false refuses every store (Unwilling). Fetches and audits of shards already held are still answered. Default: true.</summary>
    public bool AcceptStores { get; set; } = true;

    /// <summary>Most bytes charged to one peer identity for the shards kept for it (payload plus 512 per shard, as the store charges). Default: 1 GiB; range 0 and up.</summary>
    public long MaxBytesPerPeer { get; set; } = 1L << 30;

    /// <summary>Most shards kept for one peer identity. Default: 100,000; range 0–100,000,000.</summary>
    public long MaxShardsPerPeer { get; set; } = 100_000;

    /// <summary>Stores accepted from one peer per minute, sustained (a token bucket); more are refused with Rate. Default: 600; range 1–1,000,000.</summary>
    public int StoresPerMinutePerPeer { get; set; } = 600;

    /// <summary>Stores from one peer accepted at once above the sustained rate. Default: 600; range 1–1,000,000.</summary>
    public int StoreBurstPerPeer { get; set; } = 600;

    /// <summary>Longest a holder promises to keep a shard; a store asking for longer is granted this (the receipt says so). Default: 30 days; range 1 minute–3650 days.</summary>
    public TimeSpan MaxHoldDuration { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How long this node asks holders to keep the shards it places. Default: 7 days; range 1 minute–3650 days.</summary>
    public TimeSpan HoldDuration { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Holders a put places each shard on. Default: 3; range 1–64.</summary>
    public int Replicas { get; set; } = 3;

    /// <summary>Audit challenges the owner prepares per holder at store time; each is spent once. Default: 16; range 1–4096.</summary>
    public int AuditChallengesPerHolder { get; set; } = 16;

    /// <summary>Longest one <c>shard/1</c> stream may take end to end, on either side; a peer that stalls is cut off. Default: 30 s; range 1 s–10 min.</summary>
    public TimeSpan StreamTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How holders are chosen for this node's shards: <see cref="ClosestPlacement"/> (the routing table's
    /// contacts closest to the shard id) or <see cref="TrustPlacement"/> (trust-weighted sampling under
    /// diversity caps, docs/PLACEMENT.md). Default: "closest".
    /// </summary>
    public string Placement { get; set; } = ClosestPlacement;

    /// <summary>The <see cref="Placement"/> value choosing holders by XOR distance from the routing table.</summary>
    public const string ClosestPlacement = "closest";

    /// <summary>The <see cref="Placement"/> value choosing holders by trust-weighted sampling.</summary>
    public const string TrustPlacement = "trust";

    /// <summary>True when <see cref="Placement"/> asks for trust-weighted placement.</summary>
    public bool UsesTrustPlacement() => string.Equals(Placement, TrustPlacement, StringComparison.OrdinalIgnoreCase);

    /// <summary>Problems with these values, one sentence each; empty when valid.</summary>
    public IEnumerable<string> Validate()
    {
        if (MaxBytesPerPeer < 0)
        {
            yield return OptionProblem.Describe(SectionName, nameof(MaxBytesPerPeer), MaxBytesPerPeer, "it must be 0 or more");
        }

        if (MaxShardsPerPeer is < 0 or > 100_000_000)
        {
            yield return OptionProblem.Describe(SectionName, nameof(MaxShardsPerPeer), MaxShardsPerPeer, "it must be between 0 and 100000000");
        }

        if (StoresPerMinutePerPeer is < 1 or > 1_000_000)
        {
            yield return OptionProblem.Describe(SectionName, nameof(StoresPerMinutePerPeer), StoresPerMinutePerPeer, "it must be between 1 and 1000000");
        }

        if (StoreBurstPerPeer is < 1 or > 1_000_000)
        {
            yield return OptionProblem.Describe(SectionName, nameof(StoreBurstPerPeer), StoreBurstPerPeer, "it must be between 1 and 1000000");
        }

        foreach (var (key, value) in new[] { (nameof(MaxHoldDuration), MaxHoldDuration), (nameof(HoldDuration), HoldDuration) })
        {
            if (value < TimeSpan.FromMinutes(1) || value > TimeSpan.FromDays(3650))
            {
                yield return OptionProblem.Describe(SectionName, key, value, "it must be between 00:01:00 and 3650.00:00:00");
            }
        }

        if (Replicas is < 1 or > 64)
        {
            yield return OptionProblem.Describe(SectionName, nameof(Replicas), Replicas, "it must be between 1 and 64");
        }

        if (AuditChallengesPerHolder is < 1 or > 4096)
        {
            yield return OptionProblem.Describe(SectionName, nameof(AuditChallengesPerHolder), AuditChallengesPerHolder, "it must be between 1 and 4096");
        }

        if (!string.Equals(Placement, ClosestPlacement, StringComparison.OrdinalIgnoreCase) && !UsesTrustPlacement())
        {
            yield return OptionProblem.Describe(SectionName, nameof(Placement), Placement, $"it must be \"{ClosestPlacement}\" or \"{TrustPlacement}\"");
        }

        if (StreamTimeout < TimeSpan.FromSeconds(1) || StreamTimeout > TimeSpan.FromMinutes(10))
        {
            yield return OptionProblem.Describe(SectionName, nameof(StreamTimeout), StreamTimeout.ToString("c", CultureInfo.InvariantCulture), "it must be between 00:00:01 and 00:10:00");
        }
    }
}
