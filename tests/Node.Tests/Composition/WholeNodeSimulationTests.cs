using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Overlay.Crypto;
using Overlay.Dht;
using Overlay.Node.Composition;
using Overlay.Node.Hosting;
using Overlay.Transport.InMemory;

namespace Overlay.Node.Tests.Composition;

/// <summary>
/// Whole nodes (built by the daemon's composition root, every service running: bootstrap redials, join
/// with backoff, maintenance, snapshots, the shard collector) on the in-memory network and one virtual
/// clock. Node code awaits with ConfigureAwait(false); these tests show its continuations stay on the
/// simulator's deterministic scheduler, so one seed gives one event log.
/// </summary>
public sealed class WholeNodeSimulationTests
{
    private const int Nodes = 30;
    private const int Keys = 5;
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Run_TwiceWithOneSeed_GivesTheSameEventLog_AndEveryNodeJoinsAndFindsEveryValue()
    {
        var first = Run(seed: 7);
        var second = Run(seed: 7);

        Assert.Equal(Nodes - 1, first.Joined);
        Assert.Equal(Keys * (Nodes - 1), first.Found);
        // Maintenance and snapshots ran on the virtual clock: an hour of it passed after the gets.
        Assert.True(first.Log.Count > 10_000, $"only {first.Log.Count} events");
        Assert.Equal(first.Log.Count, second.Log.Count);
        Assert.Equal(first.Log, second.Log);
    }

    [Fact]
    public void Run_WithAnotherSeed_GivesAnotherEventLog()
    {
        // Shows the comparison above can fail: the log depends on the seed (keys, link jitter, choices).
        Assert.NotEqual(Run(seed: 7).Log, Run(seed: 8).Log);
    }

    private static (List<string> Log, int Joined, int Found) Run(int seed)
    {
        var clock = new VirtualTimeProvider(Start);
        var net = new InMemoryNetwork(clock, seed, new UniformLatencyModel(new LinkProfile(TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(10))), recordEvents: true);
        using var metrics = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = metrics.GetRequiredService<IMeterFactory>();
        var keyRandom = new Random(seed);
        var nodes = new OverlayNode[Nodes];
        var transports = new InMemoryTransport[Nodes];
        var dht = new DhtOptions { MaxContactsPerGroupPerBucket = 20, MaxContactsPerGroupInTable = 65536 };
        string? bootstrap = null;
        var joined = 0;
        var found = 0;
        var log = new List<string>();
        var guard = TimeSpan.FromMinutes(2);
        net.Run(async () =>
        {
            for (var i = 0; i < Nodes; i++)
            {
                var index = i;
                var parts = InMemoryNodeParts.Create(
                    net, new NodeIdentityHolder(NodeIdentity.FromRandom(keyRandom), createdThisStart: false), seed * 1000 + i, bootstrap,
                    t => transports[index] = t, dht, meters, NullLoggerFactory.Instance);
                nodes[i] = NodeComposition.Build(parts);
                await nodes[i].StartAsync(CancellationToken.None);
                bootstrap ??= nodes[0].Transport.LocalAddresses[0].ToString();
            }

            // Every node but the first joins through it, each from its own join loop.
            for (var i = 1; i < Nodes; i++)
            {
                await nodes[i].Dht.WhenJoined;
                joined++;
                log.Add($"joined {i} at {clock.Elapsed.Ticks}");
            }

            var keys = new PeerId[Keys];
            for (var k = 0; k < Keys; k++)
            {
                keys[k] = PeerId.Random(keyRandom);
                await nodes[1 + k].Dht.Node!.PutAsync(keys[k], new[] { (byte)k }, CancellationToken.None);
            }

            for (var i = 0; i < Nodes; i++)
            {
                for (var k = 0; k < Keys; k++)
                {
                    if (i != 1 + k && await nodes[i].Dht.Node!.GetAsync(keys[k], CancellationToken.None) is { } record && record.Value.Span[0] == k)
                    {
                        found++;
                    }
                }
            }

            // An hour more: maintenance rounds, snapshots, idle connections closed and bootstrap peers redialled.
            await Task.Delay(TimeSpan.FromHours(1), clock);
            for (var i = Nodes - 1; i >= 0; i--)
            {
                log.Add($"node {i}: {nodes[i].Dht.Node!.ContactCount} contacts, {nodes[i].Dht.Node!.RecordCount} records");
                await nodes[i].StopAsync(CancellationToken.None);
            }
        }, guard);
        log.AddRange(net.EventLog);
        return (log, joined, found);
    }
}
