using Overlay.Crypto;
using Overlay.Transport.Framing;

namespace Overlay.Transport;

/// <summary>What a <see cref="ProtocolRefusal"/> from a peer means to the caller, and its counter tag.</summary>
internal static class ProtocolRefusals
{
    /// <summary>Reads a refusal code from the wire; a code this node does not know reads as <see cref="ProtocolRefusal.Failed"/>.</summary>
    public static ProtocolRefusal Read(byte code)
        => code is >= (byte)ProtocolRefusal.Failed and <= (byte)ProtocolRefusal.Cancelled ? (ProtocolRefusal)code : ProtocolRefusal.Failed;

    /// <summary>The typed failure a caller sees when the peer answered with <paramref name="refusal"/>.</summary>
    public static TransportError ToError(ProtocolRefusal refusal) => refusal switch
    {
        ProtocolRefusal.UnsupportedProtocol => TransportError.UnsupportedProtocol,
        ProtocolRefusal.Unavailable => TransportError.Unavailable,
        ProtocolRefusal.Busy => TransportError.LimitExceeded,
        ProtocolRefusal.Cancelled => TransportError.Closed,
        _ => TransportError.RemoteError,
    };

    /// <summary>The counter tag of a refusal (snake case).</summary>
    public static string Tag(ProtocolRefusal refusal) => refusal switch
    {
        ProtocolRefusal.Failed => "failed",
        ProtocolRefusal.UnsupportedProtocol => "unsupported_protocol",
        ProtocolRefusal.Unavailable => "protocol_unavailable",
        ProtocolRefusal.Busy => "busy",
        ProtocolRefusal.WrongClass => "wrong_class",
        ProtocolRefusal.Cancelled => "cancelled",
        _ => "none",
    };

    /// <summary>The exception for a request the peer refused.</summary>
    public static TransportException RequestRefused(PeerId peer, ProtocolRefusal refusal) => new(
        ToError(refusal),
        refusal switch
        {
            ProtocolRefusal.UnsupportedProtocol => $"{peer} does not serve the protocol the request named.",
            ProtocolRefusal.Unavailable => $"{peer} serves the protocol the request named, but it is not running yet; try later.",
            ProtocolRefusal.Busy => $"{peer} is serving as many requests on this connection as it allows.",
            ProtocolRefusal.WrongClass => $"{peer} refused the request: its protocol carries streams only.",
            _ => $"{peer} could not serve the request.",
        });

    /// <summary>The exception for a stream the peer reset.</summary>
    public static TransportException StreamReset(PeerId peer, long stream, ProtocolRefusal refusal) => new(
        ToError(refusal),
        refusal switch
        {
            ProtocolRefusal.UnsupportedProtocol => $"{peer} does not serve the protocol stream {stream} named.",
            ProtocolRefusal.Unavailable => $"{peer} serves the protocol stream {stream} named, but it is not running yet; try later.",
            ProtocolRefusal.Busy => $"{peer} refused stream {stream}: it has as many open streams on this connection as it allows.",
            ProtocolRefusal.Cancelled => $"The peer reset stream {stream}.",
            _ => $"{peer} failed stream {stream}.",
        });
}
