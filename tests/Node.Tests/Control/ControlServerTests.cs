using System.Buffers.Binary;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Overlay.Node.Configuration;
using Overlay.Node.Control;
using Overlay.Transport.InMemory;

namespace Overlay.Node.Tests.Control;

public sealed class ControlServerTests : IAsyncLifetime
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(10);
    private readonly string _dir = Directory.CreateTempSubdirectory("overlay-control").FullName;
    private readonly Meter _meter = new("Overlay.Node.Tests.Control." + Guid.NewGuid().ToString("N"));
    private readonly RecordingCommands _commands = new();
    private readonly VirtualTimeProvider _clock = new(new DateTimeOffset(2026, 5, 1, 0, 0, 0, TimeSpan.Zero));
    private ControlServer _server = null!;

    private ControlOptions Options { get; } = new() { MaxConnections = 4, ReadTimeout = TimeSpan.FromSeconds(10) };

    public ValueTask InitializeAsync()
    {
        _server = new ControlServer(Options, _dir, _commands, maxRequestBytes: 4096, _clock, _meter);
        _server.Start();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _meter.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void Start_ListensOnLoopbackOnly_AndWritesAnOwnerOnlyTokenAndTheEndpoint()
    {
        Assert.True(IPAddress.IsLoopback(_server.Endpoint!.Address));
        Assert.NotEqual(0, _server.Endpoint.Port);
        Assert.True(ControlFiles.TryReadEndpoint(_dir, out var endpoint));
        Assert.Equal(_server.Endpoint, endpoint);
        var token = File.ReadAllText(ControlFiles.TokenPath(_dir)).Trim();
        Assert.Equal(64, token.Length);
        Assert.Equal(32, Convert.FromHexString(token).Length);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(ControlFiles.TokenPath(_dir)));
        }
    }

    [Fact]
    public async Task Start_TwoServers_GetDifferentPortsAndTokens()
    {
        var other = Directory.CreateTempSubdirectory("overlay-control2").FullName;
        try
        {
            await using var second = new ControlServer(Options, other, _commands, 4096, _clock, _meter);
            second.Start();
            Assert.NotEqual(_server.Endpoint!.Port, second.Endpoint!.Port);
            Assert.NotEqual(File.ReadAllText(ControlFiles.TokenPath(_dir)), File.ReadAllText(ControlFiles.TokenPath(other)));
        }
        finally
        {
            Directory.Delete(other, recursive: true);
        }
    }

    [Fact]
    public async Task Loopback_NotReachableThroughAnotherLocalAddress()
    {
        var external = Overlay.Node.Hosting.AnnounceAddress.FirstInterfaceAddress(AddressFamily.InterNetwork);
        if (external is null)
        {
            Assert.Skip("This host has no non-loopback IPv4 address to try.");
        }

        using var client = new TcpClient(AddressFamily.InterNetwork);
        await Assert.ThrowsAnyAsync<SocketException>(() => client.ConnectAsync(new IPEndPoint(external, _server.Endpoint!.Port), TestContext.Current.CancellationToken).AsTask().WaitAsync(Guard, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Request_WithTheToken_IsServed_AndTheConnectionServesMore()
    {
        await using var client = await ControlClient.ConnectAsync(_dir, Guard, CancellationToken.None);
        var first = await client.SendAsync(new JsonObject { ["command"] = "put", ["key"] = "k", ["value"] = Convert.ToBase64String([1, 2, 3]) }, CancellationToken.None);
        var second = await client.SendAsync(new JsonObject { ["command"] = "peers" }, CancellationToken.None);

        Assert.Equal("put", first["command"]!.GetValue<string>());
        Assert.Equal(3, first["bytes"]!.GetValue<int>());
        Assert.Equal("peers", second["command"]!.GetValue<string>());
        Assert.Equal([1, 2, 3], _commands.Received[0].Value);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("00")]
    [InlineData("zz00000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000000")]
    public async Task Request_WithoutTheRightToken_IsBadToken_Counted_AndClosed(string? token)
    {
        using var client = await ConnectAsync();
        var request = new JsonObject { ["command"] = "peers" };
        if (token is not null)
        {
            request["token"] = token;
        }

        var reply = await ExchangeAsync(client, Encoding.UTF8.GetBytes(request.ToJsonString()));

        Assert.Equal("BadToken", reply!["error"]!.GetValue<string>());
        Assert.Equal(1, _server.RefusedCount(ControlError.BadToken));
        Assert.Empty(_commands.Received);
        Assert.True(await ClosedAsync(client));
    }

    [Fact]
    public async Task Client_WithAStaleTokenFile_GetsBadToken()
    {
        File.WriteAllText(ControlFiles.TokenPath(_dir), new string('a', 64));
        await using var client = await ControlClient.ConnectAsync(_dir, Guard, CancellationToken.None);
        var e = await Assert.ThrowsAsync<ControlClientException>(() => client.SendAsync(new JsonObject { ["command"] = "peers" }, CancellationToken.None));
        Assert.Equal(ControlClientError.BadToken, e.Error);
        Assert.Contains("token", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Frame_DeclaringMoreThanTheLimit_IsTooLarge_BeforeAnyBodyIsSent()
    {
        using var client = await ConnectAsync();
        var stream = client.GetStream();
        var header = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(header, uint.MaxValue);
        await stream.WriteAsync(header, TestContext.Current.CancellationToken);

        var reply = await ReadReplyAsync(stream);

        Assert.Equal("TooLarge", reply!["error"]!.GetValue<string>());
        Assert.Equal(1, _server.RefusedCount(ControlError.TooLarge));
        Assert.True(await ClosedAsync(client));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1,2,3]")]
    [InlineData("\"text\"")]
    [InlineData("{\"command\":\"peers\"")]
    [InlineData("{\"command\":7}")]
    [InlineData("{\"token\":[1],\"command\":\"peers\"}")]
    [InlineData("{\"command\":\"peers\",\"command\":\"get\"}")]
    [InlineData("{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":1}}}}}")]
    [InlineData("{} {}")]
    public async Task Frame_Malformed_IsAnsweredMalformed_Counted_AndClosed(string body)
    {
        using var client = await ConnectAsync();
        var reply = await ExchangeAsync(client, Encoding.UTF8.GetBytes(body));

        Assert.Equal("Malformed", reply!["error"]!.GetValue<string>());
        Assert.Equal(1, _server.RefusedCount(ControlError.Malformed));
        Assert.True(await ClosedAsync(client));
    }

    [Fact]
    public async Task Value_NotBase64_IsMalformed()
    {
        using var client = await ConnectAsync();
        var reply = await ExchangeAsync(client, Authenticated(new JsonObject { ["command"] = "put", ["key"] = "k", ["value"] = "@@@" }));
        Assert.Equal("Malformed", reply!["error"]!.GetValue<string>());
        Assert.Empty(_commands.Received);
    }

    [Fact]
    public async Task Frame_EmptyOrCutShort_IsMalformed()
    {
        using (var client = await ConnectAsync())
        {
            var reply = await ExchangeAsync(client, []);
            Assert.Equal("Malformed", reply!["error"]!.GetValue<string>());
        }

        using (var client = await ConnectAsync())
        {
            var stream = client.GetStream();
            await stream.WriteAsync(new byte[] { 0, 0, 0, 50, (byte)'{' }, TestContext.Current.CancellationToken);
            client.Client.Shutdown(SocketShutdown.Send);
            var reply = await ReadReplyAsync(stream);
            Assert.Equal("Malformed", reply!["error"]!.GetValue<string>());
        }

        Assert.Equal(2, _server.RefusedCount(ControlError.Malformed));
    }

    [Fact]
    public async Task Frame_NotCompletedWithinTheReadTimeout_IsReadTimeout_OnTheClock()
    {
        using var client = await ConnectAsync();
        var stream = client.GetStream();
        // One served request proves the connection is in the server's read loop.
        Assert.True((await ExchangeAsync(client, Authenticated(new JsonObject { ["command"] = "peers" })))!["ok"]!.GetValue<bool>());
        await stream.WriteAsync(new byte[] { 0, 0 }, TestContext.Current.CancellationToken);
        Assert.True(SpinWait.SpinUntil(() => _clock.PendingTimers > 0, Guard));

        _clock.Advance(Options.ReadTimeout - TimeSpan.FromTicks(1));
        var pending = ReadReplyAsync(stream);
        Assert.False(pending.IsCompleted);
        _clock.Advance(TimeSpan.FromTicks(1));

        Assert.Equal("ReadTimeout", (await pending)!["error"]!.GetValue<string>());
        Assert.Equal(1, _server.RefusedCount(ControlError.ReadTimeout));
    }

    [Fact]
    public async Task Connections_BeyondTheLimit_AreBusy_OthersStillServed()
    {
        var held = new List<TcpClient>();
        try
        {
            for (var i = 0; i < Options.MaxConnections; i++)
            {
                var c = await ConnectAsync();
                held.Add(c);
                // A served request proves the connection holds one of the slots.
                Assert.True((await ExchangeAsync(c, Authenticated(new JsonObject { ["command"] = "peers" })))!["ok"]!.GetValue<bool>());
            }

            using var extra = await ConnectAsync();
            var reply = await ReadReplyAsync(extra.GetStream());
            Assert.Equal("Busy", reply!["error"]!.GetValue<string>());

            Assert.True((await ExchangeAsync(held[0], Authenticated(new JsonObject { ["command"] = "peers" })))!["ok"]!.GetValue<bool>());
        }
        finally
        {
            foreach (var c in held)
            {
                c.Dispose();
            }
        }
    }

    [Fact]
    public async Task Command_ThatThrows_IsInternal_AndTheServerKeepsServing()
    {
        _commands.Answer = r => r.Command == "boom" ? throw new InvalidOperationException("bug") : ControlReply.Ok([]);
        using var client = await ConnectAsync();

        var failed = await ExchangeAsync(client, Authenticated(new JsonObject { ["command"] = "boom" }));
        var next = await ExchangeAsync(client, Authenticated(new JsonObject { ["command"] = "peers" }));

        Assert.Equal("Internal", failed!["error"]!.GetValue<string>());
        Assert.True(next!["ok"]!.GetValue<bool>());
    }

    [Fact]
    public async Task RandomGarbageAndMutatedFrames_NeverStopTheServer_AndAreCounted()
    {
        var random = new Random(1234);
        var valid = Frame(Authenticated(new JsonObject { ["command"] = "get", ["key"] = "some key" }));
        for (var i = 0; i < 150; i++)
        {
            byte[] bytes;
            if (i % 2 == 0)
            {
                bytes = new byte[random.Next(1, 300)];
                random.NextBytes(bytes);
            }
            else
            {
                bytes = (byte[])valid.Clone();
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            }

            using var client = await ConnectAsync();
            var stream = client.GetStream();
            await stream.WriteAsync(bytes, TestContext.Current.CancellationToken);
            client.Client.Shutdown(SocketShutdown.Send);
            // Whatever came back (an error, a reply to a still-valid mutation, or nothing) the connection ends.
            await DrainAsync(stream);
        }

        long refused = 0;
        foreach (var reason in Enum.GetValues<ControlError>())
        {
            refused += _server.RefusedCount(reason);
        }

        Assert.True(refused >= 75, $"only {refused} refusals counted");
        await using var good = await ControlClient.ConnectAsync(_dir, Guard, CancellationToken.None);
        var reply = await good.SendAsync(new JsonObject { ["command"] = "get", ["key"] = "after" }, CancellationToken.None);
        Assert.Equal("after", reply["key"]!.GetValue<string>());
    }

    [Fact]
    public async Task Dispose_RemovesTheFiles_SoClientsSayNoDaemon()
    {
        await _server.DisposeAsync();
        Assert.False(File.Exists(ControlFiles.TokenPath(_dir)));
        Assert.False(File.Exists(ControlFiles.EndpointPath(_dir)));
        var e = await Assert.ThrowsAsync<ControlClientException>(() => ControlClient.ConnectAsync(_dir, Guard, CancellationToken.None));
        Assert.Equal(ControlClientError.NoDaemon, e.Error);
    }

    [Fact]
    public async Task Client_EndpointFileWithNothingListening_IsNoDaemon()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var freePort = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        File.WriteAllText(ControlFiles.EndpointPath(_dir), $"127.0.0.1:{freePort}\n");

        var e = await Assert.ThrowsAsync<ControlClientException>(() => ControlClient.ConnectAsync(_dir, Guard, CancellationToken.None));
        Assert.Equal(ControlClientError.NoDaemon, e.Error);
    }

    [Theory]
    [InlineData("192.0.2.1:4000")]
    [InlineData("garbage")]
    [InlineData("127.0.0.1:0")]
    public void Endpoint_FileNamingNoLoopbackPort_IsNotUsed(string text)
    {
        File.WriteAllText(ControlFiles.EndpointPath(_dir), text);
        Assert.False(ControlFiles.TryReadEndpoint(_dir, out _));
    }

    private byte[] Authenticated(JsonObject request)
    {
        request["token"] = File.ReadAllText(ControlFiles.TokenPath(_dir)).Trim();
        return Encoding.UTF8.GetBytes(request.ToJsonString());
    }

    private static byte[] Frame(byte[] body)
    {
        var frame = new byte[4 + body.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)body.Length);
        body.CopyTo(frame, 4);
        return frame;
    }

    private async Task<TcpClient> ConnectAsync()
    {
        var client = new TcpClient(AddressFamily.InterNetwork);
        await client.ConnectAsync(_server.Endpoint!, TestContext.Current.CancellationToken).AsTask().WaitAsync(Guard);
        return client;
    }

    private static async Task<JsonObject?> ExchangeAsync(TcpClient client, byte[] body)
    {
        var stream = client.GetStream();
        await stream.WriteAsync(Frame(body), TestContext.Current.CancellationToken);
        return await ReadReplyAsync(stream);
    }

    private static async Task<JsonObject?> ReadReplyAsync(Stream stream)
    {
        var body = await ControlProtocol.ReadFrameAsync(stream, ControlProtocol.MaxReplyBytes, CancellationToken.None).WaitAsync(Guard);
        Assert.NotNull(body);
        Assert.True(ControlProtocol.TryParseObject(body, out var json, out _));
        return json;
    }

    private static async Task<bool> ClosedAsync(TcpClient client)
    {
        var buffer = new byte[1];
        try
        {
            return await client.GetStream().ReadAsync(buffer).AsTask().WaitAsync(Guard) == 0;
        }
        catch (IOException)
        {
            return true;
        }
    }

    private static async Task DrainAsync(Stream stream)
    {
        var buffer = new byte[4096];
        try
        {
            while (await stream.ReadAsync(buffer).AsTask().WaitAsync(Guard) > 0)
            {
            }
        }
        catch (IOException)
        {
            // Reset by the server after a refusal: also an end.
        }
    }
}
