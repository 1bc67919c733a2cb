namespace Overlay.Node.Reachability;

/// <summary>What a <c>reach/1</c> answer says (its status byte; docs/PROTOCOL.md, "Reachability protocol").</summary>
public enum ReachStatus : byte
{
    /// <summary>The answer to a TIME request: only the responder's clock.</summary>
    Time = 0,

    /// <summary>The responder dialled the announced address and the asker proved its PeerId there.</summary>
    Reachable = 1,

    /// <summary>The responder dialled the announced address and failed; the detail byte is the <see cref="Overlay.Transport.TransportError"/>.</summary>
    Unreachable = 2,

    /// <summary>The request did not decode (too short, bad address, port 0, trailing bytes).</summary>
    Malformed = 3,

    /// <summary>The request's version byte is not 1.</summary>
    UnsupportedVersion = 4,

    /// <summary>The request's type byte is not TIME or DIAL_BACK.</summary>
    UnknownType = 5,

    /// <summary>
    /// The address's host is not the host the request came from, or it pins another PeerId: the responder
    /// dials only the asker, where the asker is, so it cannot be sent at a third party.
    /// </summary>
    ForeignAddress = 6,

    /// <summary>The asker had a dial back within the last minute; answered without dialling.</summary>
    RateLimited = 7,

    /// <summary>The responder is dialling back as many peers as it allows at once.</summary>
    Busy = 8,
}
