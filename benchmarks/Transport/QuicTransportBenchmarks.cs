using Overlay.Transport;

namespace Overlay.Benchmarks.Transport;

/// <summary>
/// <see cref="TransportBenchmarks"/> over loopback QUIC: connection set-up is the QUIC handshake
/// (TLS 1.3 inside it, mutual, identity binding both ways) plus opening the frame stream. Needs
/// libmsquic: the system's, or the file named by <c>OVERLAY_MSQUIC_PATH</c>.
/// </summary>
public class QuicTransportBenchmarks : TransportBenchmarks
{
    protected override TransportScheme Scheme => TransportScheme.Quic;
}
