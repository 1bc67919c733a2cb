using System.Diagnostics.Metrics;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using Overlay.Node.Configuration;
using Overlay.Node.Control;

namespace Overlay.Benchmarks.Node;

/// <summary>
/// The control API over its two sockets, Unix (the default) and loopback TCP: one request round trip on
/// an open connection, and what one CLI command costs besides starting its process (read the endpoint
/// and token files, connect, one round trip, close). The commands answer at once, so this is the
/// socket, the framing and the server's checks alone.
/// </summary>
[MemoryDiagnoser]
public class ControlSocketBenchmarks
{
    private readonly Meter _meter = new("Overlay.Benchmarks.Control");
    private string _dir = null!;
    private ControlServer _server = null!;
    private ControlClient _client = null!;

    [Params(ControlSocket.Unix, ControlSocket.Tcp)]
    public ControlSocket Socket { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("overlay-bench-control").FullName;
        _server = new ControlServer(new ControlOptions { Socket = Socket }, _dir, new AnsweringCommands(), 1 << 16, TimeProvider.System, _meter);
        _server.Start();
        _client = ControlClient.ConnectAsync(_dir, TimeSpan.FromSeconds(10), CancellationToken.None).GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _client.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _meter.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Benchmark]
    public Task<JsonObject> RoundTrip() => _client.SendAsync(new JsonObject { ["command"] = "id" }, CancellationToken.None);

    [Benchmark]
    public async Task<JsonObject> ConnectRoundTripClose()
    {
        var client = await ControlClient.ConnectAsync(_dir, TimeSpan.FromSeconds(10), CancellationToken.None);
        await using (client.ConfigureAwait(false))
        {
            return await client.SendAsync(new JsonObject { ["command"] = "id" }, CancellationToken.None);
        }
    }

    private sealed class AnsweringCommands : IControlCommands
    {
        public Task<ControlReply> ExecuteAsync(ControlRequest request, CancellationToken cancellationToken) =>
            Task.FromResult(ControlReply.Ok(new JsonObject { ["peerId"] = "x", ["maxValueBytes"] = 65536 }));
    }
}
