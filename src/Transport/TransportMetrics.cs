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

    /// <summary>The counter of streams the peer reset, tagged <c>reason</c> (the reset's code).</summary>
    public const string StreamsResetName = "overlay.transport.streams_reset";

    /// <summary>The histogram of bulk stream receive windows, recorded each time one grows (bytes after growing).</summary>
    public const string BulkWindowName = "overlay.transport.bulk_stream_window";

    private static readonly Meter Meter = new(MeterName);
    private static readonly Histogram<long> BulkWindows = Meter.CreateHistogram<long>(BulkWindowName, "By", "Receive windows bulk streams grew to, one record per growth.");
    private static readonly Counter<long> FramesDropped = Meter.CreateCounter<long>(FramesDroppedName, "{frame}", "Frames dropped, by reason.");
    private static readonly Counter<long> StreamsReset = Meter.CreateCounter<long>(StreamsResetName, "{stream}", "Streams the peer reset before they ended, by the reset's reason.");
    private static readonly Counter<long> ConnectionsOpened = Meter.CreateCounter<long>("overlay.transport.connections_opened", "{connection}");
    private static readonly Counter<long> ConnectionsClosed = Meter.CreateCounter<long>("overlay.transport.connections_closed", "{connection}");
    private static readonly Counter<long> ConnectionsRefused = Meter.CreateCounter<long>(
        ConnectionsRefusedName, "{connection}", "Connections turned away before their handshake finished, by reason and direction (inbound: by this node).");

    /// <summary>The counter of connections the pool closed itself, tagged <c>reason</c>: <c>idle</c>, <c>trimmed</c> (above the high watermark), <c>limit</c> (at MaxConnections) or <c>duplicate</c> (a second connection to a pooled peer).</summary>
    public const string PoolClosedName = "overlay.transport.pool_closed";

    private static readonly Counter<long> PoolClosedConnections = Meter.CreateCounter<long>(PoolClosedName, "{connection}", "Connections the pool closed itself, by reason.");

    /// <summary>The counter of refused connections, tagged <c>reason</c> and <c>direction</c> (<c>inbound</c>, <c>outbound</c>).</summary>
    public const string ConnectionsRefusedName = "overlay.transport.connections_refused";

    // Counted once per batch written and once per read processed, not per frame, so the cost stays off the per-message path.
    private static readonly Counter<long> BytesSent = Meter.CreateCounter<long>("overlay.transport.sent", "By", "Frame bytes written to connections, headers included.");
    private static readonly Counter<long> BytesReceived = Meter.CreateCounter<long>("overlay.transport.received", "By", "Frame bytes read from connections and processed, headers included.");

    /// <summary>The tag value used for a frame error.</summary>
    public static string ReasonOf(FrameError error) => error switch
    {
        FrameError.UnsupportedVersion => "unsupported_version",
        FrameError.UnknownType => "unknown_type",
        FrameError.LengthTooLarge => "length_too_large",
        FrameError.UnknownFlags => "unknown_flags",
        FrameError.BadPayloadLength => "bad_payload_length",
        FrameError.BadId => "bad_id",
        FrameError.MissingProtocol => "missing_protocol",
        FrameError.UnexpectedProtocol => "unexpected_protocol",
        _ => "other",
    };

    internal static void Dropped(FrameError error) => Dropped(ReasonOf(error));

    internal static void Dropped(string reason)
        => FramesDropped.Add(1, new KeyValuePair<string, object?>("reason", reason));

    internal static void Sent(long bytes) => BytesSent.Add(bytes);

    internal static void BulkWindowGrew(int window) => BulkWindows.Record(window);

    internal static void Received(long bytes) => BytesReceived.Add(bytes);

    internal static void StreamReset(Framing.ProtocolRefusal reason)
        => StreamsReset.Add(1, new KeyValuePair<string, object?>("reason", ProtocolRefusals.Tag(reason)));

    internal static void Refused(string reason, bool inbound)
    {
        var tags = new TagList { { "reason", reason }, { "direction", inbound ? "inbound" : "outbound" } };
        ConnectionsRefused.Add(1, tags);
    }

    internal static void PoolClosed(string reason)
        => PoolClosedConnections.Add(1, new KeyValuePair<string, object?>("reason", reason));

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
