using Overlay.Crypto;
using Overlay.Transport.InMemory;
using Overlay.Transport.Mux;

namespace Overlay.Transport.Tests.Contract;

/// <summary>The contract suite on the simulator: 2 ms links, one virtual clock, one scheduler.</summary>
public sealed class InMemoryTestNetwork : ITestNetwork
{
    private readonly Random _ids = new(99);
    private readonly List<InMemoryTransport> _nodes = [];

    public InMemoryTestNetwork(ILatencyModel? latency = null)
    {
        Network = new InMemoryNetwork(new VirtualTimeProvider(), seed: 42, latency ?? new UniformLatencyModel(new LinkProfile(TimeSpan.FromMilliseconds(2))));
    }

    public InMemoryNetwork Network { get; }

    public TimeProvider Time => Network.Clock;

    public TransportAddress UnusedAddress => TransportAddress.Parse("mem://10.9.9.9:1");

    public Task RunAsync(Func<Task> body)
    {
        Network.Run(body, TimeSpan.FromSeconds(60));
        return Task.CompletedTask;
    }

    public async Task<TestNode> StartNodeAsync(TransportOptions? options = null)
    {
        var handler = new TestHandler();
        var peer = PeerId.Random(_ids);
        var node = Network.CreateNode(peer, handler.Protocols, options);
        _nodes.Add(node);
        var listener = await node.ListenAsync(node.Host);
        return new TestNode(node, listener, peer, handler);
    }

    public Task KillAsync(TestNode node)
    {
        ((InMemoryTransport)node.Transport).Kill();
        return Task.CompletedTask;
    }

    public async Task<IRawChannel> OpenRawAsync(TestNode target)
    {
        var from = await StartNodeAsync();
        var connection = (MuxConnection)await from.Transport.DialAsync(target.Address);
        return new Raw(connection);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            node.Kill();
        }

        Network.RunFor(TimeSpan.FromSeconds(1));
        await Task.CompletedTask;
    }

    private sealed class Raw(MuxConnection connection) : IRawChannel
    {
        public bool IsClosedByRemote => connection.Closed.IsCancellationRequested;

        public Task SendAsync(ReadOnlyMemory<byte> bytes)
        {
            ((InMemoryLink)connection.Link).InjectRaw(bytes.Span);
            return Task.CompletedTask;
        }

        public Task WaitClosedAsync()
        {
            var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            connection.Closed.Register(() => closed.TrySetResult());
            return closed.Task;
        }

        public ValueTask DisposeAsync() => connection.DisposeAsync();
    }
}

public sealed class InMemoryTransportContractTests : TransportContractTests
{
    protected override ITestNetwork CreateNetwork() => new InMemoryTestNetwork();
}
