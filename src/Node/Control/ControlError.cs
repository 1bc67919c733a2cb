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
}
