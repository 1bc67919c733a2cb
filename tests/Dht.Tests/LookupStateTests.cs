using Overlay.Crypto;
using Overlay.Dht.Lookup;

namespace Overlay.Dht.Tests;

public class LookupStateTests
{
    private static LookupPeer P(byte top, double latency = double.NaN) => new(TinyIds.Of(top), latency);

    private static List<LookupRequest> Drain(LookupState state)
    {
        var list = new List<LookupRequest>();
        while (state.TryGetNextRequest(out var r))
        {
            list.Add(r);
        }

        return list;
    }

    [Fact]
    public void TryGetNextRequest_QueriesAlphaClosestFirst()
    {
        var state = new LookupState(TinyIds.Of(0x00), TinyIds.Of(0xFF), k: 3, alpha: 2, disjointPaths: 0, preferLowLatency: false);
        state.AddSeeds([P(0x40), P(0x08), P(0x80), P(0x10)]);
        var first = Drain(state);
        Assert.Equal([TinyIds.Of(0x08), TinyIds.Of(0x10)], first.Select(r => r.Peer));
        Assert.Equal(2, state.InFlight);
        Assert.False(state.IsFinished);
    }

    [Fact]
    public void Lookup_ByHand_TerminatesWhenKClosestAnswered_AndReturnsThem()
    {
        var state = new LookupState(TinyIds.Of(0x00), TinyIds.Of(0xFF), k: 2, alpha: 1, disjointPaths: 0, preferLowLatency: false);
        state.AddSeeds([P(0x40), P(0x80)]);

        Assert.True(state.TryGetNextRequest(out var r1));
        Assert.Equal(TinyIds.Of(0x40), r1.Peer);
        Assert.False(state.TryGetNextRequest(out _)); // α = 1
        state.OnResponse(r1.Peer, [P(0x04), P(0x20), P(0xFF)]); // 0xFF is self: ignored

        Assert.True(state.TryGetNextRequest(out var r2));
        Assert.Equal(TinyIds.Of(0x04), r2.Peer);
        state.OnFailure(r2.Peer);

        Assert.True(state.TryGetNextRequest(out var r3));
        Assert.Equal(TinyIds.Of(0x20), r3.Peer);
        state.OnResponse(r3.Peer, [P(0x02)]);
        Assert.False(state.IsFinished);

        Assert.True(state.TryGetNextRequest(out var r4));
        Assert.Equal(TinyIds.Of(0x02), r4.Peer);
        state.OnResponse(r4.Peer, []);

        // Two closest live: 0x02 and 0x20 answered; 0x40 answered too but is third. 0x80 never needed.
        Assert.True(state.IsFinished);
        Assert.False(state.TryGetNextRequest(out _));
        var result = new PeerId[4];
        Assert.Equal(2, state.CopyResult(result));
        Assert.Equal([TinyIds.Of(0x02), TinyIds.Of(0x20)], result[..2]);
        Assert.Equal(4, state.RequestsSent);
        Assert.Equal(1, state.Failures);
        Assert.Equal(3, state.Hops); // 0x40 (seed) -> 0x20 -> 0x02
    }

    [Fact]
    public void OnResponse_FromUnaskedPeer_IsIgnored()
    {
        var state = new LookupState(TinyIds.Of(0x00), TinyIds.Of(0xFF), k: 2, alpha: 1, disjointPaths: 0, preferLowLatency: false);
        state.AddSeeds([P(0x40)]);
        state.OnResponse(TinyIds.Of(0x01), [P(0x02)]);
        state.OnResponse(TinyIds.Of(0x40), [P(0x02)]); // not yet asked
        Assert.True(state.TryGetNextRequest(out var r));
        Assert.Equal(TinyIds.Of(0x40), r.Peer);
    }

    [Fact]
    public void NoSeeds_IsFinishedWithEmptyResult()
    {
        var state = new LookupState(TinyIds.Of(0x00), TinyIds.Of(0xFF), new DhtOptions());
        state.AddSeeds([]);
        Assert.True(state.IsFinished);
        Assert.Equal(0, state.CopyResult(new PeerId[20]));
    }

    [Fact]
    public void Preference_PicksFastestInSameBand_NeverAFartherBand()
    {
        // Target 0x00. 0x10 and 0x18 share 3 bits with it (band 3); 0x20 shares 2 (band 2).
        var state = new LookupState(TinyIds.Of(0x00), TinyIds.Of(0xFF), k: 3, alpha: 1, disjointPaths: 0, preferLowLatency: true);
        state.AddSeeds([P(0x10, 200), P(0x18, 20), P(0x20, 1)]);
        Assert.True(state.TryGetNextRequest(out var r));
        Assert.Equal(TinyIds.Of(0x18), r.Peer); // faster than 0x10, same band; 0x20 is faster still but a band farther
        state.OnResponse(r.Peer, []);
        Assert.True(state.TryGetNextRequest(out r));
        Assert.Equal(TinyIds.Of(0x10), r.Peer);
    }

    [Fact]
    public void Result_WithOrWithoutPreference_IsTheKClosestOfThoseWhoAnswered()
    {
        // Query order may change who is discovered, never what the result means: the k closest to the
        // target among the peers that answered. Checked on random, non-Kademlia "who knows whom" graphs
        // with random failures.
        var random = new Random(17);
        for (var round = 0; round < 200; round++)
        {
            var universe = Enumerable.Range(0, 64).Select(_ => PeerId.Random(random)).Distinct().ToArray();
            var latency = universe.ToDictionary(id => id, _ => random.NextDouble() * 300);
            var knows = universe.ToDictionary(id => id, _ => universe.OrderBy(_ => random.Next()).Take(8).ToArray());
            var fails = universe.Where(_ => random.NextDouble() < 0.15).ToHashSet();
            var target = PeerId.Random(random);
            var self = PeerId.Random(random);
            var seeds = universe.Take(5).Select(id => new LookupPeer(id, latency[id])).ToArray();

            foreach (var prefer in new[] { false, true })
            {
                var state = new LookupState(target, self, k: 6, alpha: 2, disjointPaths: 0, prefer);
                state.AddSeeds(seeds);
                var answered = new List<PeerId>();
                while (state.TryGetNextRequest(out var r))
                {
                    if (fails.Contains(r.Peer))
                    {
                        state.OnFailure(r.Peer);
                        continue;
                    }

                    answered.Add(r.Peer);
                    state.OnResponse(r.Peer, knows[r.Peer].Select(id => new LookupPeer(id, latency[id])).ToArray());
                }

                Assert.True(state.IsFinished);
                var result = new PeerId[6];
                var n = state.CopyResult(result);
                Assert.Equal(answered.OrderBy(id => id.Xor(target)).Take(6), result[..n]);
            }
        }
    }

    [Fact]
    public void DisjointPaths_SeedsDealtRoundRobin_PeerNeverJoinsTwoPaths()
    {
        var state = new LookupState(TinyIds.Of(0x00), TinyIds.Of(0xFF), k: 4, alpha: 1, disjointPaths: 2, preferLowLatency: false);
        state.AddSeeds([P(0x40), P(0x80), P(0x60), P(0xA0)]);
        var first = Drain(state);
        Assert.Equal(2, first.Count);
        Assert.Equal(new[] { 0, 1 }, first.Select(r => r.Path).Order());
        var onPath0 = first.Single(r => r.Path == 0).Peer;
        var onPath1 = first.Single(r => r.Path == 1).Peer;

        // Path 0 learns of a peer; path 1 later names the same peer: it stays on path 0 only.
        state.OnResponse(onPath0, [P(0x01)]);
        state.OnResponse(onPath1, [P(0x01), P(0x02)]);
        var next = Drain(state);
        Assert.Contains(new LookupRequest(TinyIds.Of(0x01), 0), next);
        Assert.Contains(new LookupRequest(TinyIds.Of(0x02), 1), next);
    }

    [Fact]
    public void FinalPhase_AnswerBringingNothingCloser_AsksTheWholeWindowAtOnce()
    {
        // k = 4, α = 1. The first answer brings a closer peer (no final phase yet); the next brings nothing
        // closer than it, so every unqueried peer of the window goes out at once.
        foreach (var finalPhaseAfter in new[] { 0, 1 })
        {
            var state = new LookupState(TinyIds.Of(0x00), TinyIds.Of(0xFF), k: 4, alpha: 1, disjointPaths: 0, preferLowLatency: false, finalPhaseAfter);
            state.AddSeeds([P(0x40), P(0x50), P(0x60), P(0x70)]);
            var first = Drain(state);
            Assert.Equal([TinyIds.Of(0x40)], first.Select(r => r.Peer));
            state.OnResponse(TinyIds.Of(0x40), [P(0x08)]);
            var second = Drain(state);
            Assert.Equal([TinyIds.Of(0x08)], second.Select(r => r.Peer));
            state.OnResponse(TinyIds.Of(0x08), [P(0x70)]);

            var third = Drain(state);
            if (finalPhaseAfter == 0)
            {
                Assert.Equal([TinyIds.Of(0x50)], third.Select(r => r.Peer));
                Assert.Equal(0, state.FinalPaths);
            }
            else
            {
                // The window is 0x08, 0x40, 0x50, 0x60: the two unqueried go together.
                Assert.Equal([TinyIds.Of(0x50), TinyIds.Of(0x60)], third.Select(r => r.Peer).Order());
                Assert.Equal(1, state.FinalPaths);
            }
        }
    }

    [Fact]
    public void OnSlow_FreesTheAlphaSlot_ButTheLookupStillWaitsForTheAnswer()
    {
        var state = new LookupState(TinyIds.Of(0x00), TinyIds.Of(0xFF), k: 2, alpha: 1, disjointPaths: 0, preferLowLatency: false);
        state.AddSeeds([P(0x10), P(0x20), P(0x40)]);
        Assert.True(state.TryGetNextRequest(out var slow));
        Assert.Equal(TinyIds.Of(0x10), slow.Peer);
        Assert.False(state.TryGetNextRequest(out _));

        Assert.True(state.OnSlow(slow.Peer));
        Assert.False(state.OnSlow(slow.Peer)); // once
        Assert.True(state.TryGetNextRequest(out var hedge));
        Assert.Equal(TinyIds.Of(0x20), hedge.Peer);
        Assert.Equal(2, state.InFlight);
        state.OnResponse(hedge.Peer, []);
        Assert.False(state.IsFinished); // 0x10 is still awaited: it is one of the two closest
        Assert.False(state.TryGetNextRequest(out _)); // the window (0x10, 0x20) has nobody left to ask

        state.OnResponse(slow.Peer, []);
        Assert.True(state.IsFinished);
        var result = new PeerId[2];
        Assert.Equal(2, state.CopyResult(result));
        Assert.Equal([TinyIds.Of(0x10), TinyIds.Of(0x20)], result);
        Assert.Equal(0, state.InFlight);
    }

    [Fact]
    public void OnGaveUp_LookupEndsWithoutThePeer_ButALateAnswerIsStillTaken()
    {
        // Given up and never heard from again: the lookup ends with the next closest instead.
        var state = new LookupState(TinyIds.Of(0x00), TinyIds.Of(0xFF), k: 2, alpha: 2, disjointPaths: 0, preferLowLatency: false);
        state.AddSeeds([P(0x10), P(0x20), P(0x40)]);
        Assert.Equal(2, Drain(state).Count);
        state.OnResponse(TinyIds.Of(0x20), []);
        Assert.True(state.OnGaveUp(TinyIds.Of(0x10)));
        var next = Drain(state);
        Assert.Equal([TinyIds.Of(0x40)], next.Select(r => r.Peer));
        state.OnResponse(TinyIds.Of(0x40), []);
        Assert.True(state.IsFinished);
        var result = new PeerId[2];
        Assert.Equal(2, state.CopyResult(result));
        Assert.Equal([TinyIds.Of(0x20), TinyIds.Of(0x40)], result);
        Assert.Equal(1, state.InFlight); // the request itself is still out

        // Given up, but the answer arrives while the lookup still runs: it counts, and so do its peers.
        state = new LookupState(TinyIds.Of(0x00), TinyIds.Of(0xFF), k: 2, alpha: 2, disjointPaths: 0, preferLowLatency: false);
        state.AddSeeds([P(0x10), P(0x20), P(0x40)]);
        Drain(state);
        Assert.True(state.OnGaveUp(TinyIds.Of(0x10)));
        Assert.Equal([TinyIds.Of(0x40)], Drain(state).Select(r => r.Peer));
        state.OnResponse(TinyIds.Of(0x20), []);
        state.OnResponse(TinyIds.Of(0x10), [P(0x01)]);
        Assert.Equal([TinyIds.Of(0x01)], Drain(state).Select(r => r.Peer));
        state.OnResponse(TinyIds.Of(0x40), []);
        state.OnResponse(TinyIds.Of(0x01), []);
        Assert.True(state.IsFinished);
        Assert.Equal(2, state.CopyResult(result));
        Assert.Equal([TinyIds.Of(0x01), TinyIds.Of(0x10)], result);
        Assert.Equal(0, state.Failures);
    }

    [Fact]
    public void OnGaveUp_NobodyAnsweredYet_PathWaitsForTheRequest_ThenEndsWhenItFails()
    {
        // One seed (a join through one bootstrap peer), given up on before any answer: ending now would return nothing.
        var state = new LookupState(TinyIds.Of(0x00), TinyIds.Of(0xFF), k: 2, alpha: 2, disjointPaths: 0, preferLowLatency: false);
        state.AddSeeds([P(0x10)]);
        Assert.Single(Drain(state));
        Assert.True(state.OnGaveUp(TinyIds.Of(0x10)));
        Assert.False(state.IsFinished);
        Assert.Empty(Drain(state));

        // Its late answer carries the lookup on.
        state.OnResponse(TinyIds.Of(0x10), [P(0x01)]);
        Assert.Equal([TinyIds.Of(0x01)], Drain(state).Select(r => r.Peer));
        state.OnResponse(TinyIds.Of(0x01), []);
        Assert.True(state.IsFinished);
        var result = new PeerId[2];
        Assert.Equal(2, state.CopyResult(result));

        // And when the request fails in the end, the path is done with nothing.
        state = new LookupState(TinyIds.Of(0x00), TinyIds.Of(0xFF), k: 2, alpha: 2, disjointPaths: 0, preferLowLatency: false);
        state.AddSeeds([P(0x10)]);
        Drain(state);
        Assert.True(state.OnGaveUp(TinyIds.Of(0x10)));
        state.OnFailure(TinyIds.Of(0x10));
        Assert.True(state.IsFinished);
        Assert.Equal(0, state.CopyResult(result));
    }
}
