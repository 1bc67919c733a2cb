namespace Overlay.Dht.Wire;

/// <summary>Why a node refused a request, as carried in an <see cref="DhtMessageType.Error"/> reply.</summary>
public enum DhtErrorCode : byte
{
    /// <summary>The request did not decode.</summary>
    Malformed = 1,

    /// <summary>The request's version byte is not one this node speaks.</summary>
    UnsupportedVersion = 2,

    /// <summary>The type byte is not a known request.</summary>
    UnknownType = 3,

    /// <summary>The sender exceeded its request rate; retry later.</summary>
    RateLimited = 4,

    /// <summary>The node failed while serving a well-formed request.</summary>
    Internal = 5,
}
