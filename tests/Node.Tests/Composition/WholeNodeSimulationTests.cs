using Overlay.Crypto;
using Overlay.Dht;

namespace Overlay.Node.Tests.Composition;

/// <summary>
/// Whole nodes (built by the daemon's composition root, every service running: bootstrap dials, join
/// with backoff, maintenance, snapshots, the shard collector) on the in-memory network and one virtual
/// clock. These tests show that no continuation of the node's code escapes the simulator's deterministic
/// scheduler (to the thread pool: a ConfigureAwait(false) after a PeriodicTimer tick or a channel read, or a
/// CancelAsync, did before), so one seed gives one event log.
/// </summary>
public sealed class WholeNodeSimulationTests
{
    private const int Nodes = 30;
    private const int Keys = 5;

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
        using var net = new WholeNodeTestNetwork(Nodes, seed, new DhtOptions { MaxContactsPerGroupPerBucket = 20, MaxContactsPerGroupInTable = 65536 });
        var keyRandom = new Random(seed + 1);
        var found = 0;
        net.Net.Run(async () =>
        {
            var keys = new PeerId[Keys];
            for (var k = 0; k < Keys; k++)
            {
                keys[k] = PeerId.Random(keyRandom);
                await net.Dht(1 + k).PutAsync(keys[k], new[] { (byte)k }, CancellationToken.None);
            }

            for (var i = 0; i < Nodes; i++)
            {
                for (var k = 0; k < Keys; k++)
                {
                    if (i != 1 + k && await net.Dht(i).GetAsync(keys[k], CancellationToken.None) is { } record && record.Value.Span[0] == k)
                    {
                        found++;
                    }
                }
            }

            // An hour more: maintenance rounds, snapshots, idle connections closed.
            await Task.Delay(TimeSpan.FromHours(1), net.Clock);
            for (var i = Nodes - 1; i >= 0; i--)
            {
                net.Log.Add($"node {i}: {net.Dht(i).ContactCount} contacts, {net.Dht(i).RecordCount} records");
                await net.Nodes[i].StopAsync(CancellationToken.None);
            }
        }, TimeSpan.FromMinutes(2));
        net.Log.AddRange(net.Net.EventLog);
        return (net.Log, net.Joined, found);
    }
}
