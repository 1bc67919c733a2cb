namespace Overlay.Node.Trust;

/// <summary>The first byte of every <c>trust/1</c> answer (docs/PROTOCOL.md, "Trust protocol").</summary>
public enum TrustExchangeStatus : byte
{
    /// <summary>Answered; the body follows.</summary>
    Ok = 0,

    /// <summary>The request did not decode (unknown type, bad length, unsorted or too many issuers).</summary>
    Malformed = 1,

    /// <summary>The asker used up its share of answers (<c>Placement:TrustServeBytesPerPeerPerHour</c>); ask later.</summary>
    RateLimited = 2,

    /// <summary>The node has nothing to offer for this request now (a CAPACITY request before its store is open).</summary>
    Unavailable = 3,
}
