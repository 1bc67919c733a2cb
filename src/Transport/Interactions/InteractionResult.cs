namespace Overlay.Transport.Interactions;

/// <summary>How one exchange with a peer ended, as the node that started it saw it.</summary>
public enum InteractionResult : byte
{
    /// <summary>The peer answered and the answer checked out.</summary>
    Succeeded = 0,

    /// <summary>The peer did not answer within the exchange's deadline.</summary>
    TimedOut = 1,

    /// <summary>The peer answered with a typed refusal (rate limit, quota, size, not willing): alive and within the protocol.</summary>
    Refused = 2,

    /// <summary>The peer answered with something that does not decode, does not match the request, or lies.</summary>
    InvalidReply = 3,

    /// <summary>The peer could not be dialled, or the connection or stream broke during the exchange.</summary>
    Unreachable = 4,
}
