using System.Diagnostics.Metrics;
using System.Text;
using System.Text.Json.Nodes;
using Overlay.Crypto;
using Overlay.Node.Cli;
using Overlay.Node.Configuration;
using Overlay.Node.Control;

namespace Overlay.Node.Tests.Control;

/// <summary>The put, get and peers commands in process, against a control server whose commands are scripted.</summary>
public sealed class DaemonCommandTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("overlay-cli").FullName;
    private readonly Meter _meter = new("Overlay.Node.Tests.Cli." + Guid.NewGuid().ToString("N"));
    private readonly RecordingCommands _commands = new();
    private readonly OverlayCli _cli = new(Commands.All());
    private ControlServer? _server;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        _meter.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Theory]
    [InlineData(new[] { "put" }, "was given 0 argument(s)")]
    [InlineData(new[] { "put", "key" }, "Give the value exactly once")]
    [InlineData(new[] { "put", "key", "value", "--file", "f" }, "Give the value exactly once")]
    [InlineData(new[] { "put", "key", "a", "b" }, "was given 3 argument(s)")]
    [InlineData(new[] { "put", "", "value" }, "The key is empty")]
    [InlineData(new[] { "get" }, "was given 0 argument(s)")]
    [InlineData(new[] { "get", "" }, "The key is empty")]
    [InlineData(new[] { "get", "a", "--bogus" }, "has no option --bogus")]
    [InlineData(new[] { "peers", "extra" }, "was given 1 argument(s)")]
    [InlineData(new[] { "peers", "--json=yes" }, "takes no value")]
    public async Task Arguments_Mistakes_AreOneSentenceAndExit64(string[] args, string expected)
    {
        var (code, _, error) = await RunAsync([.. args, "--data-dir", _dir]);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.Single(error.Trim().Split('\n'));
    }

    [Theory]
    [InlineData("put", "k", "v")]
    [InlineData("get", "k")]
    [InlineData("peers")]
    public async Task NoDaemon_IsOneSentenceAndExit69(params string[] args)
    {
        var (code, _, error) = await RunAsync([.. args, "--data-dir", _dir]);
        Assert.Equal(ExitCodes.Unavailable, code);
        Assert.Contains("No overlay daemon is running", error, StringComparison.Ordinal);
        Assert.Single(error.Trim().Split('\n'));
    }

    [Fact]
    public async Task WrongToken_IsExit77()
    {
        Start();
        File.WriteAllText(ControlFiles.TokenPath(_dir), new string('0', 64));
        var (code, _, error) = await RunAsync("peers", "--data-dir", _dir);
        Assert.Equal(ExitCodes.NoPermission, code);
        Assert.Contains("token", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_NotFound_IsExit3()
    {
        Start();
        _commands.Answer = _ => ControlReply.Fail(ControlError.NotFound, "No value is stored under key x.");
        var (code, _, error) = await RunAsync("get", "missing", "--data-dir", _dir);
        Assert.Equal(ExitCodes.NotFound, code);
        Assert.Contains("No value is stored", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Put_ValueOverTheDaemonsLimit_IsExit65_AndNeverSent()
    {
        Start();
        _commands.Answer = r => ControlReply.Ok(new JsonObject { ["maxValueBytes"] = 10 });
        var (code, _, error) = await RunAsync("put", "k", "eleven char", "--data-dir", _dir);
        Assert.Equal(ExitCodes.DataError, code);
        Assert.Contains("at most 10", error, StringComparison.Ordinal);
        Assert.DoesNotContain(_commands.Received, r => r.Command == "put");
    }

    [Fact]
    public async Task Put_FromStandardInput_SendsTheBytesAndTheKeyText()
    {
        Start();
        _commands.Answer = r => ControlReply.Ok(r.Command == "id" ? new JsonObject { ["maxValueBytes"] = 65536 } : new JsonObject { ["storedOn"] = 2 });
        byte[] bytes = [0, 1, 2, 255];
        var (code, output, _) = await RunAsync(bytes, "put", "my key", "-", "--data-dir", _dir);

        Assert.Equal(ExitCodes.Success, code);
        var put = Assert.Single(_commands.Received, r => r.Command == "put");
        Assert.Equal("my key", put.Key);
        Assert.Equal(bytes, put.Value);
        Assert.True(DhtKeys.TryFromText("my key", out var key, out _));
        Assert.Contains($"Stored 4 bytes under key {key} on 2 peer(s)", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Put_ReachingTooFewPeers_IsExit75_WithTheReasonsInWordsAndAsJson()
    {
        Start();
        var details = () => new JsonObject { ["key"] = "k", ["storedOn"] = 1, ["required"] = 3, ["bytes"] = 1, ["refusals"] = new JsonObject { ["RateLimited"] = 2, ["NoAnswer"] = 1 } };
        _commands.Answer = r => r.Command == "id"
            ? ControlReply.Ok(new JsonObject { ["maxValueBytes"] = 65536 })
            : ControlReply.Fail(ControlError.TooFewReplicas, "Only 1 of the 3 peers a put needs accepted the value (refusals: 2 RateLimited, 1 NoAnswer).", details());

        var (code, output, error) = await RunAsync("put", "k", "v", "--data-dir", _dir);
        Assert.Equal(ExitCodes.TooFewReplicas, code);
        Assert.Equal("overlay: Only 1 of the 3 peers a put needs accepted the value (refusals: 2 RateLimited, 1 NoAnswer).", error.Trim());
        Assert.Empty(output);

        (code, output, _) = await RunAsync("put", "k", "v", "--json", "--data-dir", _dir);
        Assert.Equal(ExitCodes.TooFewReplicas, code);
        var reply = JsonNode.Parse(output)!.AsObject();
        Assert.Equal("TooFewReplicas", reply["error"]!.GetValue<string>());
        Assert.Equal(1, reply["storedOn"]!.GetValue<int>());
        Assert.Equal(3, reply["required"]!.GetValue<int>());
        Assert.Equal(2, reply["refusals"]!["RateLimited"]!.GetValue<int>());
    }

    [Fact]
    public async Task Put_NotSavedByTheNode_IsExit74_AndARefusedValueExit1()
    {
        Start();
        var error = ControlError.NotSaved;
        _commands.Answer = r => r.Command == "id"
            ? ControlReply.Ok(new JsonObject { ["maxValueBytes"] = 65536 })
            : ControlReply.Fail(error, "The node could not save the value, so the put is not acknowledged: disk full.");
        Assert.Equal(ExitCodes.IoError, (await RunAsync("put", "k", "v", "--data-dir", _dir)).Code);
        error = ControlError.Refused;
        Assert.Equal(ExitCodes.Failure, (await RunAsync("put", "k", "v", "--data-dir", _dir)).Code);
    }

    [Fact]
    public async Task Put_ByANodeThatKnowsNoPeers_SaysItIsKeptThereOnly()
    {
        Start();
        _commands.Answer = r => ControlReply.Ok(r.Command == "id"
            ? new JsonObject { ["maxValueBytes"] = 65536 }
            : new JsonObject { ["storedOn"] = 0, ["required"] = 0, ["refusals"] = new JsonObject() });
        var (code, output, _) = await RunAsync("put", "k", "v", "--data-dir", _dir);
        Assert.Equal(ExitCodes.Success, code);
        Assert.Contains("on this node only: it knows no peers yet", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_BinaryValue_NeedsOutput_AndOutputWritesTheBytes()
    {
        Start();
        byte[] bytes = [0xff, 0xfe, 0x00];
        _commands.Answer = _ => ControlReply.Ok(new JsonObject { ["value"] = Convert.ToBase64String(bytes) });
        var (code, _, error) = await RunAsync("get", "k", "--data-dir", _dir);
        Assert.Equal(ExitCodes.DataError, code);
        Assert.Contains("--output", error, StringComparison.Ordinal);

        var path = Path.Combine(_dir, "out.bin");
        (code, _, _) = await RunAsync("get", "k", "--output", path, "--data-dir", _dir);
        Assert.Equal(ExitCodes.Success, code);
        Assert.Equal(bytes, File.ReadAllBytes(path));
    }

    [Fact]
    public async Task Peers_PrintsATableWithEveryPeer()
    {
        Start();
        var a = PeerId.Random(new Random(1)).ToString();
        var b = PeerId.Random(new Random(2)).ToString();
        _commands.Answer = _ => ControlReply.Ok(new JsonObject
        {
            ["self"] = new JsonObject { ["peerId"] = "me", ["address"] = "tcp://127.0.0.1:1", ["region"] = "eu-west", ["coordinate"] = new JsonObject { ["x"] = 1.0, ["y"] = 2.0, ["height"] = 0.5 }, ["coordinateError"] = 0.3 },
            ["peers"] = new JsonArray
            {
                new JsonObject { ["peerId"] = a, ["address"] = "tcp://127.0.0.1:2", ["rttMs"] = 0.25, ["failedRequests"] = 0, ["lastSeen"] = "2026-01-01T00:00:00.0000000+00:00", ["coordinate"] = new JsonObject { ["x"] = 3.0, ["y"] = 4.0, ["height"] = 0.1 } },
                new JsonObject { ["peerId"] = b, ["address"] = "tcp://127.0.0.1:3", ["rttMs"] = null, ["failedRequests"] = 2, ["lastSeen"] = "2026-01-01T00:00:00.0000000+00:00", ["coordinate"] = null },
            },
        });

        var (code, output, _) = await RunAsync("peers", "--data-dir", _dir);

        Assert.Equal(ExitCodes.Success, code);
        Assert.Contains("region eu-west", output, StringComparison.Ordinal);
        Assert.Contains("2 peer(s)", output, StringComparison.Ordinal);
        var lineA = Assert.Single(output.Split('\n'), l => l.StartsWith(a, StringComparison.Ordinal));
        Assert.Contains("tcp://127.0.0.1:2", lineA, StringComparison.Ordinal);
        Assert.Contains("0.2", lineA, StringComparison.Ordinal);
        Assert.Contains("(3.0, 4.0, h 0.1)", lineA, StringComparison.Ordinal);
        var lineB = Assert.Single(output.Split('\n'), l => l.StartsWith(b, StringComparison.Ordinal));
        Assert.Contains(" - ", lineB, StringComparison.Ordinal);
    }

    [Fact]
    public void Keys_PeerIdTextIsTakenAsIs_OtherTextIsHashed()
    {
        var id = PeerId.Random(new Random(5));
        Assert.True(DhtKeys.TryFromText(id.ToString(), out var same, out _));
        Assert.Equal(id, same);

        Assert.True(DhtKeys.TryFromText("hello", out var hashed, out _));
        var expected = new byte[32];
        Blake3.Hash(Encoding.UTF8.GetBytes("hello"), expected);
        Assert.Equal(PeerId.FromBytes(expected), hashed);

        Assert.False(DhtKeys.TryFromText(new string('k', DhtKeys.MaxKeyLength + 1), out _, out var tooLong));
        Assert.Contains("at most", tooLong, StringComparison.Ordinal);
        Assert.False(DhtKeys.TryFromText("\ud800", out _, out var surrogate));
        Assert.Contains("surrogate", surrogate, StringComparison.Ordinal);
    }

    private void Start()
    {
        _server = new ControlServer(new ControlOptions(), _dir, _commands, 1 << 20, TimeProvider.System, _meter);
        _server.Start();
    }

    private Task<(int Code, string Output, string Error)> RunAsync(params string[] args) => RunAsync([], args);

    private async Task<(int Code, string Output, string Error)> RunAsync(byte[] input, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var context = new CliContext(output, error, _ => null, () => new MemoryStream(input));
        var code = await _cli.RunAsync(args, context, TestContext.Current.CancellationToken);
        return (code, output.ToString(), error.ToString());
    }
}
