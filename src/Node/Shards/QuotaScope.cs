namespace Overlay.Node.Shards;

/// <summary>Whose quota a Quota refusal ran into (counted <c>overlay.shard.quota_refusals{scope}</c>; the wire carries Quota and a sentence).</summary>
public enum QuotaScope
{
    /// <summary>The sender identity's shards or bytes (<c>MaxShardsPerPeer</c>, <c>MaxBytesPerPeer</c>).</summary>
    Identity,

    /// <summary>The sender's /24 or /48: shards, bytes or identities (<c>MaxShardsPerPrefix</c>, <c>MaxBytesPerPrefix</c>, <c>MaxIdentitiesPerPrefix</c>).</summary>
    Prefix,

    /// <summary>The node's own storage.</summary>
    Node,
}
