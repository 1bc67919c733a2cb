using System.Diagnostics;
using System.Globalization;
using Overlay.Crypto;
using Overlay.Transport;
using Overlay.Transport.InMemory;
using Overlay.Transport.Tls;

namespace Overlay.Benchmarks.Transport;

/// <summary>
/// Measurements BenchmarkDotNet does not express: latency percentiles (p50/p99 of single
/// round trips) and how many connections one node holds and at what memory cost.
/// Run: <c>dotnet artifacts/bin/Benchmarks/release/Overlay.Benchmarks.dll transport latency [tcp|quic]|loaded [tcp|quic] [GiB] [streams] [window=BYTES] [fixed] [gap=MS] [split]|handshake N [tcp|quic]|handshake-raw N [tcp|quic]|connections N|sim-connections N</c>
/// (QUIC needs libmsquic: the system's, or the file named by <c>OVERLAY_MSQUIC_PATH</c>).
/// </summary>
public static class TransportCommands
{
    public static async Task<int> RunAsync(string[] args)
    {
        switch (args.Length > 0 ? args[0] : string.Empty)
        {
            case "latency":
                await LatencyAsync(LoopbackPair.ParseScheme(args.Length > 1 ? args[1] : "tcp"));
                return 0;
            case "loaded":
                await LoadedLatencyCommand.RunAsync(
                    LoopbackPair.ParseScheme(args.Length > 1 ? args[1] : "tcp"),
                    args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 1,
                    requestsAsStreams: args.Contains("streams"),
                    window: args.FirstOrDefault(a => a.StartsWith("window=", StringComparison.Ordinal)) is { } w ? int.Parse(w["window=".Length..], CultureInfo.InvariantCulture) : null,
                    gapMilliseconds: args.FirstOrDefault(a => a.StartsWith("gap=", StringComparison.Ordinal)) is { } g ? int.Parse(g["gap=".Length..], CultureInfo.InvariantCulture) : 0,
                    split: args.Contains("split"),
                    fixedWindows: args.Contains("fixed"));
                return 0;
            case "serve-loaded":
                await LoadedLatencyCommand.ServeAsync(
                    LoopbackPair.ParseScheme(args[1]),
                    args.FirstOrDefault(a => a.StartsWith("window=", StringComparison.Ordinal)) is { } sw ? int.Parse(sw["window=".Length..], CultureInfo.InvariantCulture) : null,
                    fixedWindows: args.Contains("fixed"));
                return 0;
            case "handshake":
                await HandshakeAsync(
                    args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 500,
                    LoopbackPair.ParseScheme(args.Length > 2 ? args[2] : "tcp"));
                return 0;
            case "handshake-raw":
                await RawHandshakeCommand.RunAsync(
                    args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 500,
                    quic: args.Length > 2 && LoopbackPair.ParseScheme(args[2]) == TransportScheme.Quic);
                return 0;
            case "serve":
                await ServeAsync(int.Parse(args[1], CultureInfo.InvariantCulture));
                return 0;
            case "connections":
                await ConnectionsAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10_000);
                return 0;
            case "sim-connections":
                SimConnections(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10_000);
                return 0;
            default:
                Console.Error.WriteLine("usage: transport latency [tcp|quic] | transport loaded [tcp|quic] [GiB] [streams] [window=BYTES] [fixed] [gap=MS] [split] | transport handshake N [tcp|quic] | transport handshake-raw N [tcp|quic] | transport connections N | transport sim-connections N");
                return 2;
        }
    }

    private static async Task LatencyAsync(TransportScheme scheme)
    {
        var payload = new byte[64];
        foreach (var (name, window, priority) in new[]
        {
            ("unbatched (window 0)", TimeSpan.Zero, MessagePriority.Normal),
            ("batched 10 ms, normal priority", TimeSpan.FromMilliseconds(10), MessagePriority.Normal),
            ("batched 10 ms, high priority", TimeSpan.FromMilliseconds(10), MessagePriority.High),
        })
        {
            await using var pair = await LoopbackPair.StartAsync(new TransportOptions { BatchWindow = window }, scheme: scheme);
            var rounds = window > TimeSpan.Zero && priority == MessagePriority.Normal ? 1_000 : 50_000;
            var samples = new double[rounds];
            for (var i = 0; i < 1000; i++)
            {
                using var warm = await pair.Connection.RequestAsync(BenchProtocols.Control, payload, MessagePriority.High);
            }

            for (var i = 0; i < rounds; i++)
            {
                var start = Stopwatch.GetTimestamp();
                using var r = await pair.Connection.RequestAsync(BenchProtocols.Control, payload, priority);
                samples[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            }

            Array.Sort(samples);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{Name(scheme)}, {name}: {rounds} sequential 64-byte requests, p50 {samples[rounds / 2]:F0} us, p99 {samples[rounds * 99 / 100]:F0} us"));
        }
    }

    private static string Name(TransportScheme scheme) => scheme == TransportScheme.Quic ? "QUIC" : "TCP+TLS";

    private static async Task HandshakeAsync(int count, TransportScheme scheme)
    {
        await using var pair = await LoopbackPair.StartAsync(new TransportOptions { MaxConnectionsPerAddress = count + 10 }, connect: false, scheme);
        var samples = new double[count];
        var withRequest = new double[count];
        var open = new List<ITransportConnection>(count);
        var payload = new byte[64];
        // CPU of the process, both ends of every connection: the first dials pay for JIT and first-use set-up.
        using var self = Process.GetCurrentProcess();
        var cpu = self.TotalProcessorTime;
        var cold = new double[5];
        for (var i = 0; i < 50; i++)
        {
            await (await pair.Client.DialAsync(pair.ServerAddress)).CloseAsync();
            if (i < cold.Length)
            {
                self.Refresh();
                cold[i] = (self.TotalProcessorTime - cpu).TotalMilliseconds;
                cpu = self.TotalProcessorTime;
            }
        }

        self.Refresh();
        cpu = self.TotalProcessorTime;
        for (var i = 0; i < count; i++)
        {
            var start = Stopwatch.GetTimestamp();
            var connection = await pair.Client.DialAsync(pair.ServerAddress);
            samples[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;

            // The connection in use: the first request's answer is back.
            using (await connection.RequestAsync(BenchProtocols.Control, payload, MessagePriority.High))
            {
            }

            withRequest[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            open.Add(connection);
        }

        self.Refresh();
        var warmCpu = (self.TotalProcessorTime - cpu).TotalMilliseconds / count;
        foreach (var c in open)
        {
            await c.CloseAsync();
        }

        Array.Sort(samples);
        Array.Sort(withRequest);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"connection set-up ({What(scheme)}), {count} sequential dials: p50 {samples[count / 2]:F2} ms, p99 {samples[count * 99 / 100]:F2} ms; "
            + $"with the first request answered: p50 {withRequest[count / 2]:F2} ms, p99 {withRequest[count * 99 / 100]:F2} ms"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"process CPU per connection, both ends together: first five dials {string.Join(" / ", cold.Select(c => c.ToString("F1", CultureInfo.InvariantCulture)))} ms; after 50 warm-up dials {warmCpu:F2} ms (with the first request)"));

        static string What(TransportScheme scheme) => scheme == TransportScheme.Quic
            ? "QUIC handshake with mutual TLS 1.3 + identity binding both ways"
            : "TCP connect + mutual TLS 1.3 + identity binding both ways";
    }

    private static TransportOptions HoldingOptions(int count) => new()
    {
        MaxConnectionsPerAddress = count + 10,
        HandshakeTimeout = TimeSpan.FromSeconds(60),
        KeepAliveInterval = TimeSpan.FromMinutes(10),
        IdleTimeout = TimeSpan.FromHours(1),
    };

    /// <summary>
    /// Dials <paramref name="count"/> connections to a node running in a child process (each process
    /// then needs one descriptor per connection), and reports what holding them costs that node.
    /// </summary>
    private static async Task ConnectionsAsync(int count)
    {
        var self = Environment.ProcessPath!;
        var dll = typeof(TransportCommands).Assembly.Location;
        using var server = Process.Start(new ProcessStartInfo(self, [dll, "transport", "serve", count.ToString(CultureInfo.InvariantCulture)])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
        })!;
        var address = TransportAddress.Parse((await server.StandardOutput.ReadLineAsync())!);
        using var identity = NodeIdentity.Generate();
        await using var client = new TcpTlsTransport(identity, BenchProtocols.Serve(new BenchHandler()), HoldingOptions(count));
        var connections = new ITransportConnection[count];
        var sw = Stopwatch.StartNew();
        var next = -1;
        var workers = new Task[4];
        for (var w = 0; w < workers.Length; w++)
        {
            workers[w] = Task.Run(async () =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < count)
                {
                    connections[i] = await client.DialAsync(address);
                }
            });
        }

        await Task.WhenAll(workers);
        sw.Stop();
        using (var r = await connections[^1].RequestAsync(BenchProtocols.Control, new byte[8]))
        {
        }

        await server.StandardInput.WriteLineAsync("measure");
        await server.StandardInput.FlushAsync();
        var report = await server.StandardOutput.ReadLineAsync();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{count} connections dialled in {sw.Elapsed.TotalSeconds:F1} s (4 concurrent dials); {report}"));
        server.StandardInput.Close();
        await server.WaitForExitAsync();
    }

    /// <summary>The node side of <see cref="ConnectionsAsync"/>: listens, then reports on request.</summary>
    private static async Task ServeAsync(int count)
    {
        using var identity = NodeIdentity.Generate();
        await using var server = new TcpTlsTransport(identity, BenchProtocols.Serve(new BenchHandler()), HoldingOptions(count));
        var listener = await server.ListenAsync(TransportAddress.Parse("tcp://127.0.0.1:0"));
        var before = Measure();
        Console.WriteLine(listener.LocalAddress.ToString());
        Console.Out.Flush();
        if (await Console.In.ReadLineAsync() == "measure")
        {
            var deadline = Stopwatch.StartNew();
            while (server.ConnectionCount < count && deadline.Elapsed < TimeSpan.FromSeconds(60))
            {
                await Task.Delay(50);
            }

            var after = Measure();
            var held = server.ConnectionCount;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"the node holds {held}; per connection: managed heap +{(after.Managed - before.Managed) / 1024.0 / held:F1} KiB, working set +{(after.WorkingSet - before.WorkingSet) / 1024.0 / held:F1} KiB"));
            Console.Out.Flush();
        }

        await Console.In.ReadLineAsync();
        Environment.Exit(0);
    }

    private static void SimConnections(int count)
    {
        var network = new InMemoryNetwork(new VirtualTimeProvider(), 1);
        var ids = new Random(1);
        var handler = new BenchHandler();
        var hub = network.CreateNode(PeerId.Random(ids), BenchProtocols.Serve(handler));
        var nodes = new List<InMemoryTransport>(count);
        for (var i = 0; i < count; i++)
        {
            nodes.Add(network.CreateNode(PeerId.Random(ids), BenchProtocols.Serve(handler)));
        }

        var connections = new List<ITransportConnection>(count);
        var before = Measure();
        network.Run(async () =>
        {
            var address = (await hub.ListenAsync(hub.Host)).LocalAddress;
            foreach (var n in nodes)
            {
                connections.Add(await n.DialAsync(address));
            }
        }, TimeSpan.FromMinutes(5));
        var after = Measure();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"in-memory: {count} connections to one node; managed heap +{(after.Managed - before.Managed) / 1024.0 / count:F2} KiB per connection (both ends)"));
        GC.KeepAlive(connections);
    }

    private static (long Managed, long WorkingSet) Measure()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var process = Process.GetCurrentProcess();
        return (GC.GetTotalMemory(forceFullCollection: true), process.WorkingSet64);
    }
}
