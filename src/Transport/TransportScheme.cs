namespace Overlay.Transport;

/// <summary>The transport an address names.</summary>
public enum TransportScheme
{
    /// <summary><c>tcp://</c>: TCP with TLS 1.3 and the frame multiplexer.</summary>
    Tcp,

    /// <summary><c>quic://</c>: QUIC (System.Net.Quic over libmsquic), ALPN <c>overlay/2</c>.</summary>
    Quic,

    /// <summary><c>mem://</c>: the in-process simulated network (tests and the simulator).</summary>
    Memory,
}
