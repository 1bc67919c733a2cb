namespace Overlay.Node.Shards;

/// <summary>The operation a <c>shard/1</c> stream carries: the first byte its opener sends.</summary>
public enum ShardOperation : byte
{
    /// <summary>Keep a shard for the opener and answer with a signed storage receipt.</summary>
    Store = 1,

    /// <summary>Send a shard's bytes from an offset.</summary>
    Fetch = 2,

    /// <summary>Answer an audit challenge: the nonce-keyed BLAKE3 of the whole shard.</summary>
    Audit = 3,

    /// <summary>Extend the opener's hold of a shard the holder already keeps for it, without resending the bytes; answered with a new receipt.</summary>
    Renew = 4,

    /// <summary>Fetch a shard from another holder (the source named in the request), keep it for the opener and answer with a receipt: repair, holder to holder.</summary>
    Pull = 5,

    /// <summary>
    /// Say, for each of up to <see cref="ShardProbeCodec.MaxIds"/> shard ids, whether the holder keeps it and at what size,
    /// from its store's index (the owner's probe round: one request per holder covers every shard it keeps for the owner).
    /// </summary>
    Probe = 6,
}
