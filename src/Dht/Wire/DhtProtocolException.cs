using Overlay.Transport.Interactions;

namespace Overlay.Dht.Wire;

/// <summary>
/// A peer's response was dropped: it did not decode, did not match the request, or lied. The request
/// counts as failed, which the routing table holds against the peer.
/// </summary>
public sealed class DhtProtocolException : Exception
{
    /// <summary>Creates the exception.</summary>
    public DhtProtocolException(DhtResponseFault fault, string message)
        : base(message)
    {
        Fault = fault;
    }

    /// <summary>Creates the exception without a specific fault (<see cref="DhtResponseFault.Malformed"/>).</summary>
    public DhtProtocolException()
        : this(DhtResponseFault.Malformed, "The DHT response was dropped.")
    {
    }

    /// <summary>Creates the exception with a message (<see cref="DhtResponseFault.Malformed"/>).</summary>
    public DhtProtocolException(string message)
        : this(DhtResponseFault.Malformed, message)
    {
    }

    /// <summary>Creates the exception wrapping another.</summary>
    public DhtProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Why the response was dropped.</summary>
    public DhtResponseFault Fault { get; }

    /// <summary>The peer's error code when it answered with an ERROR (<see cref="DhtResponseFault.ErrorReply"/>), else null.</summary>
    public DhtErrorCode? ErrorCode { get; init; }

    /// <summary>
    /// How the exchange counts against the peer. An ERROR reply saying the peer is at its rate limit or does not
    /// speak this request's version or type is a refusal (no trust cost, a lower success rate): an honest peer
    /// of another version answers so. One saying our well-formed request did not decode, or that the peer failed
    /// serving it, is an unsatisfactory answer, as a timeout would be: a well-formed request deserves a reply.
    /// Every other dropped response is an invalid reply.
    /// </summary>
    public InteractionResult Outcome => Fault != DhtResponseFault.ErrorReply
        ? InteractionResult.InvalidReply
        : ErrorCode switch
        {
            DhtErrorCode.RateLimited or DhtErrorCode.UnsupportedVersion or DhtErrorCode.UnknownType => InteractionResult.Refused,
            _ => InteractionResult.InvalidReply,
        };
}
