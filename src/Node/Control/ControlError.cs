namespace Overlay.Node.Control;

/// <summary>Why the control API refused or failed a request; sent as the <c>error</c> field of a reply.</summary>
public enum ControlError
{
    /// <summary>No error.</summary>
    None,

    /// <summary>The frame or its JSON is malformed, or a field has the wrong type. The connection is closed.</summary>
    Malformed,

    /// <summary>The declared frame length exceeds the limit. The connection is closed before the body is read.</summary>
    TooLarge,

    /// <summary>The token is missing or wrong. The connection is closed.</summary>
    BadToken,

    /// <summary>The command is not one the daemon knows.</summary>
    UnknownCommand,

    /// <summary>A field is missing or out of range (an empty key, say).</summary>
    BadArgument,

    /// <summary>The value exceeds the DHT's <c>Dht:MaxValueBytes</c>.</summary>
    ValueTooLarge,

    /// <summary>No record is stored under the key.</summary>
    NotFound,

    /// <summary>The operation did not finish within <c>Control:OperationTimeout</c>.</summary>
    Timeout,

    /// <summary>Too many control connections are open.</summary>
    Busy,

    /// <summary>The DHT is not running yet (the daemon is starting or stopping).</summary>
    Unavailable,

    /// <summary>The daemon failed unexpectedly; its log has the details.</summary>
    Internal,

    /// <summary>The connection does not come from a loopback address.</summary>
    NotLoopback,

    /// <summary>The client did not send a whole request within <c>Control:ReadTimeout</c>.</summary>
    ReadTimeout,

    /// <summary>
    /// A put reached fewer peers than it needs (<c>Dht:MinStoreReplicas</c>, or a majority of the peers the
    /// node knows). The value is kept on this node and on the peers that took it; the reply also carries
    /// <c>storedOn</c>, <c>required</c> and <c>refusals</c>. Trying again later may succeed.
    /// </summary>
    TooFewReplicas,

    /// <summary>The node refused to keep a put's value itself: another publisher's record holds the key, or it holds <c>Dht:MaxRecords</c> records.</summary>
    Refused,

    /// <summary>The node could not save the value to <c>dht.db</c> (disk full, I/O error), so the put is not acknowledged.</summary>
    NotSaved,
}
