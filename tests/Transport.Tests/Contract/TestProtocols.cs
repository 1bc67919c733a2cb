namespace Overlay.Transport.Tests.Contract;

/// <summary>The test suite's protocols, from the private-use numbers (docs/PROTOCOL.md, "Protocols").</summary>
public static class TestProtocols
{
    /// <summary>Requests, messages and control streams, served by <see cref="TestHandler"/>.</summary>
    public static ProtocolId Control { get; } = new(240, "test/1", TrafficClass.Control);

    /// <summary>Bulk streams, served by <see cref="TestHandler"/>.</summary>
    public static ProtocolId Bulk { get; } = new(241, "test-bulk/1", TrafficClass.Bulk);

    /// <summary>Registered but never started: answered Unavailable.</summary>
    public static ProtocolId NotStarted { get; } = new(242, "test-later/1", TrafficClass.Control);

    /// <summary>Registered nowhere: answered UnsupportedProtocol.</summary>
    public static ProtocolId Unknown { get; } = new(243, "test-unknown/1", TrafficClass.Control);

    /// <summary>True when a node of the suite serves (or registered) protocol number <paramref name="number"/>.</summary>
    public static bool IsRegistered(byte number) => number is 240 or 241 or 242;
}
