using Overlay.Crypto;
using Overlay.Dht.Coordinates;
using Overlay.Dht.Persistence;
using Overlay.Dht.Records;

namespace Overlay.Dht.Tests;

/// <summary>
/// What a put promises in a small network: acknowledged only when the required peers hold it, a normal
/// burst from one user not refused by the peers' rate limits, retries through those limits when they
/// do bite, and a typed failure with reasons when the peers are not there. In-memory network, virtual time.
/// </summary>
public sealed class PutReplicationTests(ITestOutputHelper output)
{
    private const int Publisher = 1;

    /// <summary>
    /// The burst of puts one node makes about as fast as it can: <see cref="BurstPuts"/> puts started at
    /// <see cref="PutsPerSecond"/>, near what one core allows (a replicated put costs its publisher 2.6–2.9 ms
    /// of CPU; docs/BENCHMARKS.md, "Durable puts"), over links of 1 ms.
    /// </summary>
    private const int BurstPuts = 1200;

    private const int PutsPerSecond = 300;

    [Fact]
    public void BulkPut_FromOneNodeOfFive_AtFullSpeed_EveryPutSucceedsAndIsHeldByTheRequiredPeers()
    {
        // The default rate limits: a user's normal burst must not be refused (and was, 20/s with a burst of 40).
        using var net = Network(DhtTestNetwork.DefaultOptions());
        var results = new PutResult[BurstPuts];
        var keys = new PeerId[BurstPuts];
        var random = new Random(71);
        for (var i = 0; i < BurstPuts; i++)
        {
            keys[i] = PeerId.Random(random);
        }

        // Started on the network's scheduler (never Task.Run, which would race the virtual clock).
        async Task PutAsync(int index) => results[index] = await net.Nodes[Publisher].PutAsync(keys[index], BitConverter.GetBytes(index), CancellationToken.None);
        net.Net.Run(async () =>
        {
            var puts = new List<Task>();
            for (var i = 0; i < BurstPuts; i++)
            {
                puts.Add(PutAsync(i));
                await Task.Delay(TimeSpan.FromSeconds(1.0 / PutsPerSecond), net.Clock);
            }

            await Task.WhenAll(puts);
        }, TimeSpan.FromMinutes(3));

        var holders = Holders(net, keys);
        var rateLimited = 0L;
        for (var n = 0; n < net.Nodes.Count; n++)
        {
            rateLimited += n == Publisher ? 0 : net.Nodes[n].Metrics.RequestsDropped;
        }

        output.WriteLine($"required {results[0].Required}; rounds > 1 in {results.Count(r => r.Rounds > 1)} puts; requests dropped by peers: {rateLimited}");
        for (var i = 0; i < BurstPuts; i++)
        {
            Assert.True(results[i].Succeeded, $"put {i}: stored on {results[i].StoredOn} of {results[i].Required}: {string.Join(", ", results[i].RefusalCounts())}");
            Assert.True(holders[i] >= results[i].Required, $"put {i} was acknowledged, but {holders[i]} peers hold it");
        }

        Assert.Equal(3, results[0].Required);
        Assert.Equal(0, rateLimited);
    }

    [Fact]
    public void BulkPut_PeersRateLimitHard_PutsBackOffAndRetry_EveryOneSucceeds_AndNoPeerIsCountedAsFailing()
    {
        var options = DhtTestNetwork.DefaultOptions();
        options.MaxRequestsPerPeerPerSecond = 10;
        options.RequestBurstPerPeer = 10;
        using var net = Network(options);
        const int Puts = 60;
        var results = new PutResult[Puts];
        var keys = Enumerable.Range(0, Puts).Select(i => PeerId.Random(new Random(i))).ToArray();

        net.Net.Run(async () =>
        {
            // All at once: far beyond what the peers take (two requests each per put, ten a second).
            results = await Task.WhenAll(keys.Select((k, i) => net.Nodes[Publisher].PutAsync(k, BitConverter.GetBytes(i), CancellationToken.None)));
        }, TimeSpan.FromMinutes(3));

        var holders = Holders(net, keys);
        Assert.All(Enumerable.Range(0, Puts), i =>
        {
            Assert.True(results[i].Succeeded, $"put {i}: stored on {results[i].StoredOn} of {results[i].Required}: {string.Join(", ", results[i].RefusalCounts())}");
            Assert.True(holders[i] >= results[i].Required);
        });
        Assert.Contains(results, r => r.Rounds > 1);
        // Every peer refused some requests, and the publisher still counts none of them as failing: a rate
        // limit is an answer from a live peer, not a failure to be held against it.
        for (var n = 0; n < net.Nodes.Count; n++)
        {
            if (n != Publisher)
            {
                Assert.True(net.Nodes[n].Metrics.RequestsDropped > 0, $"node {n} never refused a request; the limit did not bite");
                Assert.Equal(0, net.Nodes[Publisher].FailuresOf(net.Nodes[n].Id));
            }
        }
    }

    [Fact]
    public void Put_WhenMostPeersAreDown_FailsBelowTheMinimum_WithTheReasons()
    {
        using var net = Network(DhtTestNetwork.DefaultOptions());
        net.Kill(2);
        net.Kill(3);
        net.Kill(4);
        PutResult? result = null;
        var started = net.Clock.GetUtcNow();

        net.Net.Run(async () => result = await net.Nodes[Publisher].PutAsync(PeerId.Random(new Random(72)), "v"u8.ToArray(), CancellationToken.None), TimeSpan.FromMinutes(3));

        // Four peers known, a majority (3) required, one alive.
        Assert.NotNull(result);
        Assert.False(result.Succeeded);
        Assert.Equal(3, result.Required);
        Assert.Equal(1, result.StoredOn);
        var reasons = result.RefusalCounts();
        Assert.Equal(3, reasons[RecordRejection.NoAnswer]);
        Assert.Equal(new HashSet<PeerId> { net.Nodes[2].Id, net.Nodes[3].Id, net.Nodes[4].Id }, result.Refusals.Select(r => r.Peer).ToHashSet());
        // It kept trying for its retry window before it gave up, and not much longer.
        var took = net.Clock.GetUtcNow() - started;
        Assert.True(result.Rounds > 1);
        Assert.InRange(took, net.Options.PutRetryTimeout - DhtClient.MaxRetryDelay, net.Options.PutRetryTimeout + (2 * net.Options.RequestTimeout));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(4, 3)]
    [InlineData(8, 5)]
    [InlineData(16, 5)]
    public void RequiredReplicas_IsTheMinimumOrAMajorityOfTheKnownPeers(int known, int required)
    {
        var options = DhtTestNetwork.DefaultOptions();
        using var identity = NodeIdentity.FromRandom(new Random(73));
        var clock = new Overlay.Transport.InMemory.VirtualTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var net = new Overlay.Transport.InMemory.InMemoryNetwork(clock, seed: 1);
        var node = new DhtNode(identity, options, clock, new Random(1), h => net.CreateNode(identity.PeerId, h));
        var random = new Random(74);
        var contacts = Enumerable.Range(0, known)
            .Select(i => new ContactSnapshot(PeerId.Random(random), $"tcp://10.0.{i / 200}.{(i % 200) + 1}:4001", 1, clock.GetUtcNow(), 0, null))
            .ToList();
        Assert.Equal(known, node.RestoreContacts(contacts));

        Assert.Equal(required, node.RequiredReplicas());
    }

    private static DhtTestNetwork Network(DhtOptions options)
    {
        // Five hosts 1 ms apart: a network on one machine or one LAN, where puts are bound by CPU, not links.
        const int Hosts = 5;
        var rows = Enumerable.Range(0, Hosts).Select(i => string.Join('\t', Enumerable.Range(0, Hosts).Select(j => i == j ? "0" : "1")));
        Assert.True(LatencyMatrix.TryParse(string.Join('\n', rows), 1.0, out var matrix, out var error), error.ToString());
        var net = new DhtTestNetwork(Hosts, seed: 70, matrix!, options);
        net.Form(concurrency: 4);
        return net;
    }

    /// <summary>How many nodes other than the publisher hold each key.</summary>
    private static int[] Holders(DhtTestNetwork net, PeerId[] keys)
    {
        var held = new int[keys.Length];
        var index = keys.Select((k, i) => (k, i)).ToDictionary(x => x.k, x => x.i);
        for (var n = 0; n < net.Nodes.Count; n++)
        {
            if (n == Publisher || net.Dead[n])
            {
                continue;
            }

            foreach (var saved in net.Nodes[n].SnapshotRecords())
            {
                if (index.TryGetValue(saved.Record.Key, out var i))
                {
                    held[i]++;
                }
            }
        }

        return held;
    }
}
