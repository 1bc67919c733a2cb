using Overlay.Transport;

namespace Overlay.Benchmarks.Transport;

/// <summary>The benchmarks' own protocols, from the private-use numbers (docs/PROTOCOL.md, "Protocols").</summary>
public static class BenchProtocols
{
    /// <summary>Requests, messages and small streams (control class).</summary>
    public static ProtocolId Control { get; } = new(240, "bench/1", TrafficClass.Control);

    /// <summary>Bulk streams.</summary>
    public static ProtocolId Bulk { get; } = new(241, "bench-bulk/1", TrafficClass.Bulk);

    /// <summary>A dispatcher serving both with <paramref name="handler"/>.</summary>
    public static ProtocolDispatcher Serve(BenchHandler handler)
    {
        var protocols = new ProtocolDispatcher();
        protocols.Register(Control, handler);
        protocols.Register(Bulk, handler);
        return protocols;
    }
}
