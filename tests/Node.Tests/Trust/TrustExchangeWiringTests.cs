using Overlay.Crypto;
using Overlay.Dht;
using Overlay.Node.Tests.Composition;
using Overlay.Placement;
using Overlay.Transport;
using Overlay.Transport.Interactions;

namespace Overlay.Node.Tests.Trust;

/// <summary>Whole nodes exchanging signed local-trust records over <c>trust/1</c>, and what that changes in the global trust each computes.</summary>
public sealed class TrustExchangeWiringTests
{
    private static readonly DhtOptions Dht = new()
    {
        MaxContactsPerGroupPerBucket = 20,
        MaxContactsPerGroupInTable = 65536,
    };

    /// <remarks>
    /// Nodes 2–6 are the pre-trusted peers (<c>Placement:PreTrustedPeers</c>) of every node: node 1's computation then
    /// rests on their rows as much as on its own, as EigenTrust intends, and trust/1 is how it gets their rows.
    /// </remarks>
    [Theory]
    [InlineData(3)]
    [InlineData(0)]
    public void Exchange_PeerBadToTheNeighboursOnly_LosesTrustAtANodeItTreatedWell(int exchangePeers)
    {
        const int bad = 7, observer = 1, seed = 61;
        var keys = new Random(seed);
        var ids = Enumerable.Range(0, 10).Select(_ => NodeIdentity.FromRandom(keys).PeerId).ToArray();
        using var net = new WholeNodeTestNetwork(10, seed, Dht, placement: _ => new PlacementOptions
        {
            PreTrustedPeers = [.. ids[2..7].Select(id => id.ToString())],
            TrustRecomputeInterval = TimeSpan.FromMinutes(1),
            TrustPublishInterval = TimeSpan.FromMinutes(5),
            TrustExchangeInterval = TimeSpan.FromMinutes(5),
            TrustExchangePeers = exchangePeers,
        });
        Assert.Equal(ids, net.Nodes.Select(n => n.Id));
        Assert.Equal(9, net.Joined);
        var badId = net.Nodes[bad].Id;
        var x = net.Nodes[observer].Trust;
        // The peers neither pre-trusted nor the observer nor the bad one: the bad peer is measured against them.
        PeerId[] others = [ids[0], ids[8], ids[9]];
        double before = 0, after = 0, ownScore = 0;
        net.Net.Run(async () =>
        {
            // Everyone deals with everyone; every answer, the bad peer's included, is satisfactory evidence.
            var random = new Random(62);
            for (var node = 1; node < 10; node++)
            {
                for (var i = 0; i < 4; i++)
                {
                    await net.Dht(node).FindClosestAsync(PeerId.Random(random), CancellationToken.None);
                }
            }

            // The bad peer serves node 1 well and everyone else badly: nodes 2-6 saw it answer wrongly many times over.
            for (var node = 2; node <= 6; node++)
            {
                for (var i = 0; i < 100; i++)
                {
                    net.Nodes[node].Trust.Interactions.Observe(
                        new InteractionOutcome(badId, ProtocolIds.Dht, DhtOperations.FindNode, InteractionResult.InvalidReply, 40, 40, TimeSpan.FromMilliseconds(30)));
                }
            }

            before = Relative(x.Recompute(), badId, others);
            await Task.Delay(TimeSpan.FromHours(1), net.Clock);
            ownScore = x.Observations.Ledger.Score(badId, net.Clock.GetUtcNow());
            after = Relative(x.Recompute(), badId, others);
        }, TimeSpan.FromMinutes(5));

        // Node 1's own evidence on the bad peer stays good: whatever changes comes from the others' rows.
        Assert.True(ownScore > 0, "node 1 never saw the bad peer answer well");
        if (exchangePeers > 0)
        {
            Assert.True(x.Records.Book.Count >= 8, $"node 1 holds {x.Records.Book.Count} records");
            Assert.True(x.ExchangeMetrics.PullTotal(InteractionResult.Succeeded) > 0);
            // Measured with seed 61: 0.975 -> 0.373 (each of the five pre-trusted peers at the 0.1 cap of p, node 1 at 0.5).
            Assert.True(after < before / 2, $"the bad peer's trust relative to the others at node 1: {before:F3} -> {after:F3}");
        }
        else
        {
            Assert.Equal(0, x.Records.Book.Count);
            // Measured with seed 61: 0.975 -> 1.021.
            Assert.True(after > before * 0.75, $"without trust/1 the bad peer's relative trust should stay: {before:F3} -> {after:F3}");
        }
    }

    [Fact]
    public void Exchange_RecordsSpreadBeyondDirectPeers_AndEveryNodeServesItsOwn()
    {
        using var net = new WholeNodeTestNetwork(6, seed: 71, Dht, placement: _ => new PlacementOptions
        {
            TrustRecomputeInterval = TimeSpan.FromMinutes(1),
            TrustExchangeInterval = TimeSpan.FromMinutes(5),
            TrustExchangePeers = 1,
        });
        net.Net.Run(async () =>
        {
            var random = new Random(72);
            for (var node = 1; node < 6; node++)
            {
                await net.Dht(node).FindClosestAsync(PeerId.Random(random), CancellationToken.None);
            }

            await Task.Delay(TimeSpan.FromHours(2), net.Clock);
        }, TimeSpan.FromMinutes(5));

        foreach (var node in net.Nodes)
        {
            Assert.NotNull(node.Trust.Records.Own);
            // Pulling from one peer a round, each node still ends with (nearly) every other node's row.
            Assert.True(node.Trust.Records.Book.Count >= 4, $"{node.Id.ToShortString()} holds {node.Trust.Records.Book.Count} records");
            Assert.Equal(0, node.Trust.PlacementMetrics.RecordsRejected(Overlay.Placement.Trust.TrustRecordRejection.BadSignature));
        }
    }

    [Fact]
    public void Exchange_SwitchedOff_SignsServesPullsAndVerifiesNothing_WhileTheSameNetworkOnExchanges()
    {
        using var off = RunSix(enabled: false);
        using var on = RunSix(enabled: true);

        foreach (var node in off.Nodes)
        {
            Assert.Null(node.Trust.Records.Own);
            Assert.Equal(0, node.Trust.Records.Book.Count);
            Assert.Equal(0, node.Trust.ExchangeMetrics.BytesServed);
            Assert.Equal(0, node.Trust.ExchangeMetrics.BytesRequested);
            Assert.Equal(0, node.Trust.PlacementMetrics.RecordsAccepted);
            // Trust still comes from the node's own observations.
            Assert.True(node.Trust.Current.Count > 0);
        }

        Assert.All(on.Nodes, node => Assert.NotNull(node.Trust.Records.Own));
        Assert.True(on.Nodes.Sum(n => n.Trust.Records.Book.Count) > 0);
    }

    /// <summary>
    /// Ten nodes whose books hold three rows each, for three hours of exchanges on the virtual clock: every node's book
    /// stays at three, and a node does not fetch the rows of the issuers a full book would refuse (every round would
    /// otherwise download each admitted issuer's row it does not hold, only to drop it as <c>BookFull</c>).
    /// </summary>
    [Fact]
    public void Exchange_MoreIssuersThanTheBookHolds_HoldsTheBound_AndFetchesNoRowItWouldRefuse()
    {
        using var net = new WholeNodeTestNetwork(10, seed: 75, Dht, placement: _ => new PlacementOptions
        {
            TrustRecomputeInterval = TimeSpan.FromMinutes(1),
            TrustPublishInterval = TimeSpan.FromMinutes(30),
            TrustExchangeInterval = TimeSpan.FromMinutes(5),
            MaxTrustRecords = 3,
        });
        net.Net.Run(async () =>
        {
            var random = new Random(76);
            for (var hour = 0; hour < 3; hour++)
            {
                for (var node = 0; node < 10; node++)
                {
                    await net.Dht(node).FindClosestAsync(PeerId.Random(random), CancellationToken.None);
                }

                await Task.Delay(TimeSpan.FromHours(1), net.Clock);
            }
        }, TimeSpan.FromMinutes(5));

        long fetched = 0, accepted = 0, full = 0;
        foreach (var node in net.Nodes)
        {
            Assert.InRange(node.Trust.Records.Book.Count, 1, 3);
            fetched += node.Trust.ExchangeMetrics.RecordsFetched;
            accepted += node.Trust.PlacementMetrics.RecordsAccepted;
            full += node.Trust.PlacementMetrics.RecordsRejected(Overlay.Placement.Trust.TrustRecordRejection.BookFull);
        }

        Assert.True(full * 10 <= fetched, $"fetched {fetched}, accepted {accepted}, refused as the book was full {full}");
    }

    private static WholeNodeTestNetwork RunSix(bool enabled)
    {
        var net = new WholeNodeTestNetwork(6, seed: 73, Dht, placement: _ => new PlacementOptions
        {
            TrustRecomputeInterval = TimeSpan.FromMinutes(1),
            TrustExchangeInterval = TimeSpan.FromMinutes(5),
            TrustExchangeEnabled = enabled,
        });
        net.Net.Run(async () =>
        {
            var random = new Random(74);
            for (var node = 1; node < 6; node++)
            {
                await net.Dht(node).FindClosestAsync(PeerId.Random(random), CancellationToken.None);
            }

            await Task.Delay(TimeSpan.FromHours(1), net.Clock);
        }, TimeSpan.FromMinutes(5));
        return net;
    }

    // The peer's global trust over the mean of the others'.
    private static double Relative(Overlay.Placement.Trust.TrustSnapshot snapshot, PeerId peer, PeerId[] others) =>
        snapshot.TrustOf(peer) / others.Average(snapshot.TrustOf);
}
