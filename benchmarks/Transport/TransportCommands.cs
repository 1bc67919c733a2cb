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
/// Run: <c>dotnet artifacts/bin/Benchmarks/release/Overlay.Benchmarks.dll transport latency|connections N|sim-connections N</c>.
/// </summary>
public static class TransportCommands
{
    public static async Task<int> RunAsync(string[] args)
    {
        switch (args.Length > 0 ? args[0] : string.Empty)
        {
            case "latency":
                await LatencyAsync();
                return 0;
            case "handshake":
                await HandshakeAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 500);
                return 0;
            case "connections":
                await ConnectionsAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10_000);
                return 0;
            case "sim-connections":
                SimConnections(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10_000);
                return 0;
            default:
                Console.Error.WriteLine("usage: transport latency | transport handshake N | transport connections N | transport sim-connections N");
                return 2;
        }
    }

    private static async Task LatencyAsync()
    {
        var payload = new byte[64];
        foreach (var (name, window, priority) in new[]
        {
            ("unbatched (window 0)", TimeSpan.Zero, MessagePriority.Normal),
            ("batched 10 ms, normal priority", TimeSpan.FromMilliseconds(10), MessagePriority.Normal),
            ("batched 10 ms, high priority", TimeSpan.FromMilliseconds(10), MessagePriority.High),
        })
        {
            await using var pair = await LoopbackPair.StartAsync(new TransportOptions { BatchWindow = window });
            var rounds = window > TimeSpan.Zero && priority == MessagePriority.Normal ? 1_000 : 50_000;
            var samples = new double[rounds];
            for (var i = 0; i < 1000; i++)
            {
                using var warm = await pair.Connection.RequestAsync(payload, MessagePriority.High);
            }

            for (var i = 0; i < rounds; i++)
            {
                var start = Stopwatch.GetTimestamp();
                using var r = await pair.Connection.RequestAsync(payload, priority);
                samples[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            }

            Array.Sort(samples);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name}: {rounds} sequential 64-byte requests, p50 {samples[rounds / 2]:F0} us, p99 {samples[rounds * 99 / 100]:F0} us"));
        }
    }

    private static async Task HandshakeAsync(int count)
    {
        await using var pair = await LoopbackPair.StartAsync(new TransportOptions { MaxConnectionsPerAddress = count + 10 }, connect: false);
        var samples = new double[count];
        var open = new List<ITransportConnection>(count);
        for (var i = 0; i < 50; i++)
        {
            await (await pair.Client.DialAsync(pair.ServerAddress)).CloseAsync();
        }

        for (var i = 0; i < count; i++)
        {
            var start = Stopwatch.GetTimestamp();
            open.Add(await pair.Client.DialAsync(pair.ServerAddress));
            samples[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        foreach (var c in open)
        {
            await c.CloseAsync();
        }

        Array.Sort(samples);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"connection set-up (TCP connect + mutual TLS 1.3 + identity binding both ways), {count} sequential dials: p50 {samples[count / 2]:F2} ms, p99 {samples[count * 99 / 100]:F2} ms"));
    }

    private static async Task ConnectionsAsync(int count)
    {
        var options = new TransportOptions { MaxConnectionsPerAddress = count + 10, KeepAliveInterval = TimeSpan.FromMinutes(10), IdleTimeout = TimeSpan.FromHours(1) };
        await using var pair = await LoopbackPair.StartAsync(options, connect: false);
        var connections = new List<ITransportConnection>(count);
        var before = Measure();
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            connections.Add(await pair.Client.DialAsync(pair.ServerAddress));
        }

        sw.Stop();
        var deadline = Stopwatch.StartNew();
        while (pair.Server.ConnectionCount < count && deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(50);
        }

        using (var r = await connections[^1].RequestAsync(new byte[8]))
        {
        }

        var after = Measure();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{count} connections dialled in {sw.Elapsed.TotalSeconds:F1} s; server holds {pair.Server.ConnectionCount}; "
            + $"managed heap +{(after.Managed - before.Managed) / 1024.0 / count:F1} KiB and working set +{(after.WorkingSet - before.WorkingSet) / 1024.0 / count:F1} KiB per connection (both ends, one process)"));
        foreach (var c in connections)
        {
            await c.CloseAsync();
        }
    }

    private static void SimConnections(int count)
    {
        var network = new InMemoryNetwork(new VirtualTimeProvider(), 1);
        var ids = new Random(1);
        var handler = new BenchHandler();
        var hub = network.CreateNode(PeerId.Random(ids), handler);
        var nodes = new List<InMemoryTransport>(count);
        for (var i = 0; i < count; i++)
        {
            nodes.Add(network.CreateNode(PeerId.Random(ids), handler));
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
