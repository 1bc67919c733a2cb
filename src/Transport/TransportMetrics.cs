using System.Diagnostics;
using System.Diagnostics.Metrics;
using Overlay.Transport.Framing;

namespace Overlay.Transport;

/// <summary>
/// The transport's counters (meter <c>Overlay.Transport</c>). Peers control the volume of drops,
/// so drops are counted here and logged at Debug at most.
/// </summary>
public static class TransportMetrics
{
    /// <summary>The meter name to listen to.</summary>
    public const string MeterName = "Overlay.Transport";

    /// <summary>The counter of dropped frames, tagged <c>reason</c>.</summary>
    public const string FramesDroppedName = "overlay.transport.frames_dropped";

    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> FramesDropped = Meter.CreateCounter<long>(FramesDroppedName, "{frame}", "Frames dropped, by reason.");
    private static readonly Counter<long> ConnectionsOpened = Meter.CreateCounter<long>("overlay.transport.connections_opened", "{connection}");
    private static readonly Counter<long> ConnectionsClosed = Meter.CreateCounter<long>("overlay.transport.connections_closed", "{connection}");
    private static readonly Counter<long> ConnectionsRefused = Meter.CreateCounter<long>(
        ConnectionsRefusedName, "{connection}", "Connections turned away before their handshake finished, by reason and direction (inbound: by this node).");

    /// <summary>The counter of refused connections, tagged <c>reason</c> and <c>direction</c> (<c>inbound</c>, <c>outbound</c>).</summary>
    public const string ConnectionsRefusedName = "overlay.transport.connections_refused";

    /// <summary>The tag value used for a frame error.</summary>
    public static string ReasonOf(FrameError error) => error switch
    {
        FrameError.UnsupportedVersion => "unsupported_version",
        FrameError.UnknownType => "unknown_type",
        FrameError.LengthTooLarge => "length_too_large",
        FrameError.ReservedBitsSet => "reserved_bits_set",
        FrameError.UnknownFlags => "unknown_flags",
        FrameError.BadPayloadLength => "bad_payload_length",
        FrameError.BadId => "bad_id",
        _ => "other",
    };

    internal static void Dropped(FrameError error) => Dropped(ReasonOf(error));

    internal static void Dropped(string reason)
        => FramesDropped.Add(1, new KeyValuePair<string, object?>("reason", reason));

    internal static void Refused(string reason, bool inbound)
    {
        var tags = new TagList { { "reason", reason }, { "direction", inbound ? "inbound" : "outbound" } };
        ConnectionsRefused.Add(1, tags);
    }

    internal static void Opened(TransportScheme scheme)
        => ConnectionsOpened.Add(1, new KeyValuePair<string, object?>("scheme", SchemeTag(scheme)));

    internal static void ClosedWith(TransportScheme scheme, TransportError reason)
    {
        var tags = new TagList { { "scheme", SchemeTag(scheme) }, { "reason", reason.ToString() } };
        ConnectionsClosed.Add(1, tags);
    }

    private static string SchemeTag(TransportScheme scheme) => scheme switch
    {
        TransportScheme.Tcp => "tcp",
        TransportScheme.Quic => "quic",
        _ => "mem",
    };
}
