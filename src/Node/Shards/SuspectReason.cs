namespace Overlay.Node.Shards;

/// <summary>Why an owner stopped counting a holder as a live replica of a shard (counted <c>overlay.shard.suspects{reason}</c>).</summary>
public enum SuspectReason
{
    /// <summary>The holder answered an audit wrongly: it does not hold the bytes now.</summary>
    AuditFailed,

    /// <summary>The holder said it does not hold the shard (an audit's or a probe's NotFound).</summary>
    Missing,

    /// <summary>The holder did not answer in time, or could not be reached.</summary>
    NotAnswering,

    /// <summary>The holder's receipt expired before it was renewed.</summary>
    Expired,

    /// <summary>The owner's DHT routing table evicted the holder as gone (its requests and pings went unanswered).</summary>
    LeftRoutingTable,
}
