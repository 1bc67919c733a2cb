using Overlay.Crypto;

namespace Overlay.Transport.Tests.Contract;

/// <summary>What the contract suite needs from each implementation under test.</summary>
public interface ITestNetwork : IAsyncDisposable
{
    TimeProvider Time { get; }

    /// <summary>Runs a test body with a wall-clock guard (and, for the simulator, on its scheduler).</summary>
    Task RunAsync(Func<Task> body);

    Task<TestNode> StartNodeAsync(TransportOptions? options = null);

    /// <summary>Kills a node as a crash would.</summary>
    Task KillAsync(TestNode node);

    /// <summary>Opens a connection from a fresh identity to <paramref name="target"/> that writes raw bytes.</summary>
    Task<IRawChannel> OpenRawAsync(TestNode target);

    /// <summary>True when streams travel as frames on the connection's link; false where they are streams of their own (QUIC).</summary>
    bool StreamsAreFrames => true;

    /// <summary>An address where nothing listens.</summary>
    TransportAddress UnusedAddress { get; }
}

/// <summary>An authenticated connection that sends bytes without framing them.</summary>
public interface IRawChannel : IAsyncDisposable
{
    Task SendAsync(ReadOnlyMemory<byte> bytes);

    /// <summary>True once the listener has closed this connection.</summary>
    bool IsClosedByRemote { get; }

    /// <summary>Waits until the remote closes the connection (the caller bounds the wait).</summary>
    Task WaitClosedAsync();
}
