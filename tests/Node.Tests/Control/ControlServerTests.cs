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

/// <summary>The control server over a Unix socket in the data directory (the default).</summary>
public sealed class UnixControlServerTests() : ControlServerTests(ControlSocket.Unix)
{
    [Fact]
    public void Start_MakesAnOwnerOnlySocketInTheDataDirectory()
    {
        var endpoint = Assert.IsType<UnixDomainSocketEndPoint>(Server.Endpoint);
        Assert.Equal(ControlFiles.SocketPath(Dir), endpoint.ToString());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(ControlFiles.SocketPath(Dir)));
        Assert.Equal($"unix:{ControlFiles.SocketPath(Dir)}", File.ReadAllText(ControlFiles.EndpointPath(Dir)).Trim());
    }

    [Fact]
    public async Task Start_WithAStaleSocketFileFromAKilledDaemon_ReplacesIt_ButNeverALiveOnesSocket()
    {
        var other = Directory.CreateTempSubdirectory("overlay-control-stale").FullName;
        try
        {
            // A socket file nothing listens on, as a SIGKILLed daemon leaves it.
            using (var dead = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
            {
                dead.Bind(new UnixDomainSocketEndPoint(ControlFiles.SocketPath(other)));
            }

            await using var second = new ControlServer(Options, other, Commands, 4096, Clock, Meter);
            second.Start();
            await using var client = await ControlClient.ConnectAsync(other, Guard, CancellationToken.None);
            Assert.True((await client.SendAsync(new JsonObject { ["command"] = "peers" }, CancellationToken.None))["ok"]!.GetValue<bool>());

            await using var third = new ControlServer(Options, other, Commands, 4096, Clock, Meter);
            var e = Assert.Throws<ControlStartException>(third.Start);
            Assert.Contains("Another daemon", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(other, recursive: true);
        }
    }

    [Fact]
    public async Task Start_SocketPathLongerThanAUnixAddressHolds_IsOneSentenceNamingTheWayOut()
    {
        var deep = Path.Combine(Dir, new string('d', 120));
        Directory.CreateDirectory(deep);
        await using var server = new ControlServer(Options, deep, Commands, 4096, Clock, Meter);
        var e = Assert.Throws<ControlStartException>(server.Start);
        Assert.Contains("Control:Socket to \"Tcp\"", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(ControlFiles.TokenPath(deep)));
    }

    [Fact]
    public async Task Client_EndpointFileNamingASocketElsewhere_StillOnlyDialsTheDataDirectorysSocket()
    {
        File.WriteAllText(ControlFiles.EndpointPath(Dir), "unix:/tmp/somewhere-else.sock\n");
        await using var client = await ControlClient.ConnectAsync(Dir, Guard, CancellationToken.None);
        Assert.True((await client.SendAsync(new JsonObject { ["command"] = "peers" }, CancellationToken.None))["ok"]!.GetValue<bool>());
    }
}

/// <summary>The control server on 127.0.0.1 (<c>Control:Socket</c> = Tcp).</summary>
public sealed class TcpControlServerTests() : ControlServerTests(ControlSocket.Tcp)
{
    [Fact]
    public void Start_ListensOnLoopbackOnly()
    {
        var endpoint = Assert.IsType<IPEndPoint>(Server.Endpoint);
        Assert.True(IPAddress.IsLoopback(endpoint.Address));
        Assert.NotEqual(0, endpoint.Port);
        Assert.Equal(ControlEndpointStatus.Found, ControlFiles.ReadEndpoint(Dir, out var read));
        Assert.Equal(endpoint, read);
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
        var port = ((IPEndPoint)Server.Endpoint!).Port;
        await Assert.ThrowsAnyAsync<SocketException>(() => client.ConnectAsync(new IPEndPoint(external, port), TestContext.Current.CancellationToken).AsTask().WaitAsync(Guard, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Client_EndpointFileWithNothingListening_IsNoDaemon()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var freePort = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        File.WriteAllText(ControlFiles.EndpointPath(Dir), $"127.0.0.1:{freePort}\n");

        var e = await Assert.ThrowsAsync<ControlClientException>(() => ControlClient.ConnectAsync(Dir, Guard, CancellationToken.None));
        Assert.Equal(ControlClientError.NoDaemon, e.Error);
    }

    [Theory]
    [InlineData("192.0.2.1:4000")]
    [InlineData("garbage")]
    [InlineData("127.0.0.1:0")]
    public void Endpoint_FileNamingNoLoopbackPort_IsNotUsed(string text)
    {
        File.WriteAllText(ControlFiles.EndpointPath(Dir), text);
        Assert.Equal(ControlEndpointStatus.Invalid, ControlFiles.ReadEndpoint(Dir, out _));
    }
}

/// <summary>What the control server promises over either kind of socket.</summary>
public abstract class ControlServerTests(ControlSocket socket) : IAsyncLifetime
{
    protected static readonly TimeSpan Guard = TimeSpan.FromSeconds(10);

    protected string Dir { get; } = Directory.CreateTempSubdirectory("overlay-control").FullName;

    protected Meter Meter { get; } = new("Overlay.Node.Tests.Control." + Guid.NewGuid().ToString("N"));

    protected RecordingCommands Commands { get; } = new();

    protected VirtualTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 5, 1, 0, 0, 0, TimeSpan.Zero));

    protected ControlServer Server { get; private set; } = null!;

    protected ControlOptions Options { get; } = new()
    {
        Socket = socket,
        MaxConnections = 4,
        MaxUnauthenticatedConnections = 3,
        AuthenticationTimeout = TimeSpan.FromSeconds(2),
        ReadTimeout = TimeSpan.FromSeconds(10),
    };

    public virtual ValueTask InitializeAsync()
    {
        Server = new ControlServer(Options, Dir, Commands, maxRequestBytes: 4096, Clock, Meter);
        Server.Start();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Meter.Dispose();
        Directory.Delete(Dir, recursive: true);
        GC.SuppressFinalize(this);
    }

    [Fact]
    public void Start_WritesAnOwnerOnlyToken()
    {
        var token = File.ReadAllText(ControlFiles.TokenPath(Dir)).Trim();
        Assert.Equal(64, token.Length);
        Assert.Equal(32, Convert.FromHexString(token).Length);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(ControlFiles.TokenPath(Dir)));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(ControlFiles.EndpointPath(Dir)));
    }

    [Fact]
    public async Task Start_TwoServers_GetDifferentEndpointsAndTokens()
    {
        var other = Directory.CreateTempSubdirectory("overlay-control2").FullName;
        try
        {
            await using var second = new ControlServer(Options, other, Commands, 4096, Clock, Meter);
            second.Start();
            Assert.NotEqual(Server.Endpoint!.ToString(), second.Endpoint!.ToString());
            Assert.NotEqual(File.ReadAllText(ControlFiles.TokenPath(Dir)), File.ReadAllText(ControlFiles.TokenPath(other)));
        }
        finally
        {
            Directory.Delete(other, recursive: true);
        }
    }

    [Fact]
    public async Task Request_WithTheToken_IsServed_AndTheConnectionServesMore()
    {
        await using var client = await ControlClient.ConnectAsync(Dir, Guard, CancellationToken.None);
        var first = await client.SendAsync(new JsonObject { ["command"] = "put", ["key"] = "k", ["value"] = Convert.ToBase64String([1, 2, 3]) }, CancellationToken.None);
        var second = await client.SendAsync(new JsonObject { ["command"] = "peers" }, CancellationToken.None);

        Assert.Equal("put", first["command"]!.GetValue<string>());
        Assert.Equal(3, first["bytes"]!.GetValue<int>());
        Assert.Equal("peers", second["command"]!.GetValue<string>());
        Assert.Equal([1, 2, 3], Commands.Received[0].Value);
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

        var reply = await client.ExchangeAsync(Encoding.UTF8.GetBytes(request.ToJsonString()));

        Assert.Equal("BadToken", reply!["error"]!.GetValue<string>());
        Assert.Equal(1, Server.RefusedCount(ControlError.BadToken));
        Assert.Empty(Commands.Received);
        Assert.True(await client.ClosedAsync());
    }

    [Fact]
    public async Task Request_AfterTheFirst_WithoutTheToken_IsBadToken()
    {
        using var client = await ConnectAsync();
        Assert.True((await client.ExchangeAsync(Authenticated(new JsonObject { ["command"] = "peers" })))!["ok"]!.GetValue<bool>());
        var reply = await client.ExchangeAsync(Encoding.UTF8.GetBytes("""{"command":"peers"}"""));
        Assert.Equal("BadToken", reply!["error"]!.GetValue<string>());
        Assert.Single(Commands.Received);
    }

    [Fact]
    public async Task Client_WithAStaleTokenFile_GetsBadToken()
    {
        File.WriteAllText(ControlFiles.TokenPath(Dir), new string('a', 64));
        await using var client = await ControlClient.ConnectAsync(Dir, Guard, CancellationToken.None);
        var e = await Assert.ThrowsAsync<ControlClientException>(() => client.SendAsync(new JsonObject { ["command"] = "peers" }, CancellationToken.None));
        Assert.Equal(ControlClientError.BadToken, e.Error);
        Assert.Contains("token", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Frame_DeclaringMoreThanTheLimit_IsTooLarge_BeforeAnyBodyIsSent()
    {
        using var client = await ConnectAsync();
        var header = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(header, uint.MaxValue);
        await client.Stream.WriteAsync(header, TestContext.Current.CancellationToken);

        var reply = await client.ReadReplyAsync();

        Assert.Equal("TooLarge", reply!["error"]!.GetValue<string>());
        Assert.Equal(1, Server.RefusedCount(ControlError.TooLarge));
        Assert.True(await client.ClosedAsync());
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
    [InlineData("{\"command\":\"\\ud800\"}")]
    public async Task Frame_Malformed_IsAnsweredMalformed_Counted_AndClosed(string body)
    {
        using var client = await ConnectAsync();
        var reply = await client.ExchangeAsync(Encoding.UTF8.GetBytes(body));

        Assert.Equal("Malformed", reply!["error"]!.GetValue<string>());
        Assert.Equal(1, Server.RefusedCount(ControlError.Malformed));
        Assert.True(await client.ClosedAsync());
    }

    [Theory]
    [InlineData("token")]
    [InlineData("command")]
    [InlineData("key")]
    [InlineData("value")]
    [InlineData("name")]
    public async Task Frame_InvalidUtf8InsideAString_IsAnsweredMalformed_AndClosed(string where)
    {
        var token = File.ReadAllText(ControlFiles.TokenPath(Dir)).Trim();
        var fields = new Dictionary<string, string> { ["token"] = token, ["command"] = "get", ["key"] = "k", ["value"] = "AAAA" };
        var text = "{" + string.Join(",", fields.Select(f => $"\"{(where == "name" && f.Key == "key" ? "k@y" : f.Key)}\":\"{(f.Key == where ? "a@b" : f.Value)}\"")) + "}";
        // '@' stands for a lone continuation byte: never valid UTF-8.
        var body = Encoding.ASCII.GetBytes(text).Select(b => b == (byte)'@' ? (byte)0x80 : b).ToArray();

        using var client = await ConnectAsync();
        var reply = await client.ExchangeAsync(body);

        Assert.Equal("Malformed", reply!["error"]!.GetValue<string>());
        Assert.Contains("UTF-8", reply["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(1, Server.RefusedCount(ControlError.Malformed));
        Assert.Empty(Commands.Received);
        Assert.True(await client.ClosedAsync());
    }

    [Fact]
    public async Task Value_NotBase64_IsMalformed()
    {
        using var client = await ConnectAsync();
        var reply = await client.ExchangeAsync(Authenticated(new JsonObject { ["command"] = "put", ["key"] = "k", ["value"] = "@@@" }));
        Assert.Equal("Malformed", reply!["error"]!.GetValue<string>());
        Assert.Empty(Commands.Received);
    }

    [Fact]
    public async Task Frame_EmptyOrCutShort_IsMalformed()
    {
        using (var client = await ConnectAsync())
        {
            var reply = await client.ExchangeAsync([]);
            Assert.Equal("Malformed", reply!["error"]!.GetValue<string>());
        }

        using (var client = await ConnectAsync())
        {
            await client.Stream.WriteAsync(new byte[] { 0, 0, 0, 50, (byte)'{' }, TestContext.Current.CancellationToken);
            client.Socket.Shutdown(SocketShutdown.Send);
            var reply = await client.ReadReplyAsync();
            Assert.Equal("Malformed", reply!["error"]!.GetValue<string>());
        }

        Assert.Equal(2, Server.RefusedCount(ControlError.Malformed));
    }

    [Fact]
    public async Task FirstRequest_NotSentWithinTheAuthenticationTimeout_IsReadTimeout_OnTheClock()
    {
        using var client = await ConnectAsync();
        await client.Stream.WriteAsync(new byte[] { 0, 0 }, TestContext.Current.CancellationToken);
        Assert.True(SpinWait.SpinUntil(() => Clock.PendingTimers > 0, Guard));

        Clock.Advance(Options.AuthenticationTimeout - TimeSpan.FromTicks(1));
        var pending = client.ReadReplyAsync();
        Assert.False(pending.IsCompleted);
        Clock.Advance(TimeSpan.FromTicks(1));

        Assert.Equal("ReadTimeout", (await pending)!["error"]!.GetValue<string>());
        Assert.Equal(1, Server.RefusedCount(ControlError.ReadTimeout));
        Assert.True(await client.ClosedAsync());
    }

    [Fact]
    public async Task LaterRequest_NotCompletedWithinTheReadTimeout_IsReadTimeout_OnTheClock()
    {
        using var client = await ConnectAsync();
        // One served request proves the connection is past authentication, in the server's read loop.
        Assert.True((await client.ExchangeAsync(Authenticated(new JsonObject { ["command"] = "peers" })))!["ok"]!.GetValue<bool>());
        Assert.True(SpinWait.SpinUntil(() => Clock.PendingTimers > 0, Guard));
        await client.Stream.WriteAsync(new byte[] { 0, 0 }, TestContext.Current.CancellationToken);

        Clock.Advance(Options.ReadTimeout - TimeSpan.FromTicks(1));
        var pending = client.ReadReplyAsync();
        Assert.False(pending.IsCompleted);
        Clock.Advance(TimeSpan.FromTicks(1));

        Assert.Equal("ReadTimeout", (await pending)!["error"]!.GetValue<string>());
        Assert.Equal(1, Server.RefusedCount(ControlError.ReadTimeout));
    }

    [Fact]
    public async Task AuthenticatedConnections_BeyondTheLimit_AreBusy_OthersStillServed()
    {
        var held = new List<RawConnection>();
        try
        {
            for (var i = 0; i < Options.MaxConnections; i++)
            {
                var c = await ConnectAsync();
                held.Add(c);
                // A served request proves the connection holds one of the slots.
                Assert.True((await c.ExchangeAsync(Authenticated(new JsonObject { ["command"] = "peers" })))!["ok"]!.GetValue<bool>());
            }

            using var extra = await ConnectAsync();
            var reply = await extra.ExchangeAsync(Authenticated(new JsonObject { ["command"] = "peers" }));
            Assert.Equal("Busy", reply!["error"]!.GetValue<string>());
            Assert.Equal(Options.MaxConnections, Commands.Received.Count);

            Assert.True((await held[0].ExchangeAsync(Authenticated(new JsonObject { ["command"] = "peers" })))!["ok"]!.GetValue<bool>());
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
    public async Task ConnectionsWithoutTheToken_CannotLockTheOwnerOut_WhileRefusingNewcomersWould()
    {
        // The attack: hold every connection the server will keep, send nothing, never show a token.
        var attack = Options.MaxUnauthenticatedConnections + Options.MaxConnections;

        // Without the defence (a full waiting budget refuses newcomers) the owner is locked out...
        var other = Directory.CreateTempSubdirectory("overlay-control-undefended").FullName;
        try
        {
            await using var undefended = new ControlServer(Options, other, Commands, 4096, Clock, Meter, logger: null, shedOldestUnauthenticated: false);
            undefended.Start();
            using var held = await HoldAsync(undefended, attack);
            await using var owner = await ControlClient.ConnectAsync(other, Guard, CancellationToken.None);
            // Refused: Busy, or a reset if the refusal closed the connection before the request was read.
            await Assert.ThrowsAsync<ControlClientException>(() => owner.SendAsync(new JsonObject { ["command"] = "peers" }, CancellationToken.None));
            Assert.Empty(Commands.Received);
        }
        finally
        {
            Directory.Delete(other, recursive: true);
        }

        // ...with it (the oldest waiting connection is shed for the newcomer) the owner is served, every time.
        using (await HoldAsync(Server, attack))
        {
            for (var i = 0; i < 3; i++)
            {
                await using var owner = await ControlClient.ConnectAsync(Dir, Guard, CancellationToken.None);
                var reply = await owner.SendAsync(new JsonObject { ["command"] = "peers" }, CancellationToken.None);
                Assert.True(reply["ok"]!.GetValue<bool>());
            }
        }

        Assert.Equal(3, Commands.Received.Count);
        Assert.Equal(0, Server.RefusedCount(ControlError.BadToken));
    }

    [Fact]
    public async Task Command_ThatThrows_IsInternal_AndTheServerKeepsServing()
    {
        Commands.Answer = r => r.Command == "boom" ? throw new InvalidOperationException("bug") : ControlReply.Ok([]);
        using var client = await ConnectAsync();

        var failed = await client.ExchangeAsync(Authenticated(new JsonObject { ["command"] = "boom" }));
        var next = await client.ExchangeAsync(Authenticated(new JsonObject { ["command"] = "peers" }));

        Assert.Equal("Internal", failed!["error"]!.GetValue<string>());
        Assert.True(next!["ok"]!.GetValue<bool>());
    }

    [Fact]
    public async Task RandomGarbageAndMutatedFrames_AreEachAnswered_NeverStopTheServer_AndAreCounted()
    {
        var random = new Random(1234);
        var valid = RawConnection.Frame(Authenticated(new JsonObject { ["command"] = "get", ["key"] = "some key", ["value"] = "AAEC" }));
        for (var i = 0; i < 300; i++)
        {
            byte[] bytes;
            switch (i % 3)
            {
                case 0:
                    bytes = new byte[random.Next(1, 300)];
                    random.NextBytes(bytes);
                    break;
                case 1:
                    bytes = (byte[])valid.Clone();
                    bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                    break;
                default:
                    // A byte that is never valid UTF-8 (0x80-0xBF alone, 0xF8-0xFF) somewhere in the body.
                    bytes = (byte[])valid.Clone();
                    bytes[random.Next(4, bytes.Length)] = (byte)(random.Next(2) == 0 ? random.Next(0x80, 0xC0) : random.Next(0xF8, 0x100));
                    break;
            }

            var answeredBefore = Answered();
            using var client = await ConnectAsync();
            await client.Stream.WriteAsync(bytes, TestContext.Current.CancellationToken);
            client.Socket.Shutdown(SocketShutdown.Send);
            // Every input is answered: an error, or the reply to a mutation that is still a valid request.
            // (A refusal that leaves bytes of the input unread ends in a reset that may overtake its reply;
            // the count shows it was answered all the same.)
            var replies = await client.DrainRepliesAsync();
            Assert.True(replies >= 1 || Answered() > answeredBefore, $"input {i} ({Convert.ToHexString(bytes[..Math.Min(bytes.Length, 24)])}...) got no answer");
        }

        long refused = 0;
        foreach (var reason in Enum.GetValues<ControlError>())
        {
            refused += Server.RefusedCount(reason);
        }

        Assert.True(refused >= 200, $"only {refused} refusals counted");
        Assert.True(Server.RefusedCount(ControlError.Malformed) >= 100, $"only {Server.RefusedCount(ControlError.Malformed)} counted Malformed");
        await using var good = await ControlClient.ConnectAsync(Dir, Guard, CancellationToken.None);
        var reply = await good.SendAsync(new JsonObject { ["command"] = "get", ["key"] = "after" }, CancellationToken.None);
        Assert.Equal("after", reply["key"]!.GetValue<string>());
    }

    [Fact]
    public async Task Dispose_RemovesTheFiles_SoClientsSayNoDaemon()
    {
        await Server.DisposeAsync();
        Assert.False(File.Exists(ControlFiles.TokenPath(Dir)));
        Assert.False(File.Exists(ControlFiles.EndpointPath(Dir)));
        Assert.False(File.Exists(ControlFiles.SocketPath(Dir)));
        var e = await Assert.ThrowsAsync<ControlClientException>(() => ControlClient.ConnectAsync(Dir, Guard, CancellationToken.None));
        Assert.Equal(ControlClientError.NoDaemon, e.Error);
    }

    /// <summary>Requests refused or served so far.</summary>
    private long Answered()
    {
        long total = Commands.Received.Count;
        foreach (var reason in Enum.GetValues<ControlError>())
        {
            total += Server.RefusedCount(reason);
        }

        return total;
    }

    protected byte[] Authenticated(JsonObject request)
    {
        ArgumentNullException.ThrowIfNull(request);
        request["token"] = File.ReadAllText(ControlFiles.TokenPath(Dir)).Trim();
        return Encoding.UTF8.GetBytes(request.ToJsonString());
    }

    protected Task<RawConnection> ConnectAsync() => RawConnection.ConnectAsync(Server.Endpoint!, Guard);

    /// <summary>Opens <paramref name="count"/> silent connections and waits until the server has taken in every one of them.</summary>
    private async Task<HeldConnections> HoldAsync(ControlServer server, int count)
    {
        var busyBefore = server.RefusedCount(ControlError.Busy);
        var held = new HeldConnections();
        for (var i = 0; i < count; i++)
        {
            held.Add(await RawConnection.ConnectAsync(server.Endpoint!, Guard));
        }

        // The waiting budget fills; each connection beyond it was answered Busy (refused, or an older one shed for it).
        var waiting = Math.Min(count, Options.MaxUnauthenticatedConnections);
        Assert.True(
            SpinWait.SpinUntil(() => server.Connections.Waiting == waiting && server.RefusedCount(ControlError.Busy) - busyBefore == count - waiting, Guard),
            $"waiting {server.Connections.Waiting} of {waiting}, Busy {server.RefusedCount(ControlError.Busy) - busyBefore} of {count - waiting}");
        return held;
    }

    private sealed class HeldConnections : List<RawConnection>, IDisposable
    {
        public void Dispose()
        {
            foreach (var c in this)
            {
                c.Dispose();
            }
        }
    }
}
