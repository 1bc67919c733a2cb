using Overlay.Node.Shards;
using Overlay.Storage;

namespace Overlay.Node.Tests.Shards;

/// <summary>
/// Holders that lie are caught: other bytes, truncated bytes, audits answered from a cache after the
/// bytes are gone. Each test also shows the lie getting through when the defence is left out.
/// </summary>
public sealed class LyingHolderTests
{
    private static LyingHolder Liar(ShardTestNetwork t) => (LyingHolder)t.Nodes[1].Protocols.HandlerOf(Overlay.Transport.ProtocolIds.Shard)!;

    private static ShardTestNetwork Network(int seed, int count = 3) =>
        new(count, seed, o => o.Replicas = count - 1, (i, node, real) => i == 1 ? new LyingHolder(real, node) : real);

    [Theory]
    [InlineData(Lie.OtherBytes, ShardRefusal.Mismatch)]
    [InlineData(Lie.Truncate, ShardRefusal.Size)]
    public void Get_HolderLies_IsCaughtAndTheNextHolderServesTheRightBytes(Lie lie, ShardRefusal caught)
    {
        using var t = Network(20);
        var data = ShardTestNetwork.Shard(200_000, 20);
        var id = ShardId.Compute(data);
        var owner = t.OwnerOf(0);
        t.Net.Run(async () =>
        {
            await t.StartAsync();
            var put = await owner.PutAsync(data, CancellationToken.None);
            Assert.Equal(2, put.Holders.Count);
            Assert.Equal(t.Nodes[1].Identity.PeerId, put.Holders[0].Peer);
            await t.Nodes[0].Store.DeleteAsync(id);
            Liar(t).Mode = lie;

            var (got, attempts) = await owner.GetAsync(id, CancellationToken.None);
            Assert.Equal(data, got);
            Assert.Equal(caught, attempts[0].Refusal);
            Assert.Equal(t.Nodes[2].Identity.PeerId, attempts[1].Peer);

            // Without the fetcher's checks, the raw bytes of the liar are not the shard.
            var raw = new byte[data.Length];
            try
            {
                await t.ClientOf(0).FetchAsync(await t.ConnectAsync(0, 1), id, 0, ShardCodec.ToEnd, raw, null, CancellationToken.None);
            }
            catch (ShardExchangeException)
            {
                // The truncating liar: the client's own count check is what catches it.
            }

            Assert.NotEqual(data, raw);
        });
    }

    [Fact]
    public void Get_HolderClaimsAHugeShard_IsRefusedBeforeAnyBufferIsMade_AndTheNextHolderServes()
    {
        using var t = Network(22);
        var data = ShardTestNetwork.Shard(200_000, 22);
        var id = ShardId.Compute(data);
        var owner = t.OwnerOf(0);
        t.Net.Run(async () =>
        {
            await t.StartAsync();
            await owner.PutAsync(data, CancellationToken.None);
            await t.Nodes[0].Store.DeleteAsync(id);
            Liar(t).Mode = Lie.Oversize;

            var (got, attempts) = await owner.GetAsync(id, CancellationToken.None);
            Assert.Equal(data, got);
            Assert.Equal(ShardRefusal.Size, attempts[0].Refusal);
            Assert.Equal(t.Nodes[2].Identity.PeerId, attempts[1].Peer);

            // Without the fetcher's bound, the destination would be sized by the liar's claim.
            var asked = -1;
            var connection = await t.ConnectAsync(0, 1);
            await Assert.ThrowsAsync<ShardExchangeException>(() => t.ClientOf(0).FetchAsync(
                connection, id, 0, ShardCodec.ToEnd, size => { asked = size; return Memory<byte>.Empty; }, null, CancellationToken.None));
            Assert.Equal((int)LyingHolder.OversizeClaim, asked);
        });
    }

    [Fact]
    public void Get_HolderResetsHalfway_TheNextHolderResumesFromTheOffsetReached()
    {
        using var t = new ShardTestNetwork(3, 21, o => o.Replicas = 2, (i, node, real) => i is 1 or 2 ? new LyingHolder(real, node) : real);
        var data = ShardTestNetwork.Shard(400_000, 21);
        var id = ShardId.Compute(data);
        var owner = t.OwnerOf(0);
        t.Net.Run(async () =>
        {
            await t.StartAsync();
            await owner.PutAsync(data, CancellationToken.None);
            await t.Nodes[0].Store.DeleteAsync(id);
            var first = (LyingHolder)t.Nodes[1].Protocols.HandlerOf(Overlay.Transport.ProtocolIds.Shard)!;
            var second = (LyingHolder)t.Nodes[2].Protocols.HandlerOf(Overlay.Transport.ProtocolIds.Shard)!;
            first.Mode = Lie.ResetHalfway;
            second.Intercept();
            var (got, attempts) = await owner.GetAsync(id, CancellationToken.None);
            Assert.Equal(data, got);
            Assert.NotEqual(ShardRefusal.None, attempts[0].Refusal);
            var resumedAt = Assert.Single(second.FetchOffsets);
            Assert.True(resumedAt > 0 && resumedAt < data.Length, $"resumed at {resumedAt}");
        });
    }

    [Fact]
    public void Audit_HolderDropsTheBytesAndAnswersFromItsCache_FailsAFreshChallenge_ButWouldPassAReplayedOne()
    {
        using var t = Network(22);
        var data = ShardTestNetwork.Shard(50_000, 22);
        var id = ShardId.Compute(data);
        var owner = t.OwnerOf(0);
        t.Net.Run(async () =>
        {
            await t.StartAsync();
            await owner.PutAsync(data, CancellationToken.None);
            Liar(t).Intercept();
            var spent = owner.Status(id)!.Holders[0].Challenges[0];
            var audited = await owner.AuditAsync(id, CancellationToken.None);
            Assert.All(audited.Holders, h => Assert.True(h.LastAuditPassed));

            // The liar drops the bytes, keeping only what it answered before.
            await t.Nodes[1].Store.DeleteAsync(id);

            // Without fresh nonces the cache would pass: the spent challenge, replayed, is answered right.
            var replayed = await t.ClientOf(0).AuditAsync(await t.ConnectAsync(0, 1), id, spent.Nonce, CancellationToken.None);
            Assert.True(ShardAudit.Matches(spent.Answer, replayed));

            // With them it fails, and the result is on record.
            audited = await owner.AuditAsync(id, CancellationToken.None);
            Assert.False(audited.Holders[0].LastAuditPassed);
            Assert.True(audited.Holders[1].LastAuditPassed);
            Assert.False(owner.Status(id)!.Holders[0].LastAuditPassed);
        });
        Assert.Equal(3, t.Nodes[0].Metrics.AuditsPassed);
        Assert.Equal(1, t.Nodes[0].Metrics.AuditsFailed);
    }

    [Fact]
    public void Audit_HolderDeletedTheShard_FailsWithNotFound()
    {
        using var t = new ShardTestNetwork(2, 23);
        var data = ShardTestNetwork.Shard(10_000, 23);
        var id = ShardId.Compute(data);
        var owner = t.OwnerOf(0);
        t.Net.Run(async () =>
        {
            await t.StartAsync();
            await owner.PutAsync(data, CancellationToken.None);
            await t.Nodes[1].Store.DeleteAsync(id);
            var audited = await owner.AuditAsync(id, CancellationToken.None);
            var holder = Assert.Single(audited.Holders);
            Assert.False(holder.LastAuditPassed);
            Assert.Contains("not_found", holder.LastAuditDetail, StringComparison.Ordinal);
            Assert.Equal(t.Options.AuditChallengesAtStore - 1, holder.Challenges.Count);
        });
    }

    [Fact]
    public void Audit_OnceTheStoreTimeChallengesAreSpent_ReadsTheShardBackFromItsHolder_AndAuditsWithFreshChallenges()
    {
        using var t = Network(24, count: 2);
        var data = ShardTestNetwork.Shard(60_000, 24);
        var id = ShardId.Compute(data);
        var owner = t.OwnerOf(0);
        t.Net.Run(async () =>
        {
            await t.StartAsync();
            await owner.PutAsync(data, CancellationToken.None);
            await t.Nodes[0].Store.DeleteAsync(id);
            Liar(t).Intercept();
            Assert.Equal(t.Options.AuditChallengesAtStore, Assert.Single(owner.Status(id)!.Holders).Challenges.Count);
            for (var i = 0; i < t.Options.AuditChallengesAtStore; i++)
            {
                Assert.True(Assert.Single((await owner.AuditAsync(id, CancellationToken.None)).Holders).LastAuditPassed);
            }

            Assert.Empty(Liar(t).FetchOffsets);
            var holder = Assert.Single((await owner.AuditAsync(id, CancellationToken.None)).Holders);
            Assert.True(holder.LastAuditPassed);
            // The whole shard was read back once, from its holder, and the audit spent one of the fresh challenges.
            Assert.Equal([0L], Liar(t).FetchOffsets);
            Assert.Equal(t.Options.AuditChallengesPerHolder - 1, holder.Challenges.Count);
        });
        Assert.Equal(t.Options.AuditChallengesAtStore + 1, t.Nodes[0].Metrics.AuditsPassed);
        Assert.Equal(0, t.Nodes[0].Metrics.AuditsFailed);
    }

    [Theory]
    [InlineData(Lie.None, "not_found")]
    [InlineData(Lie.Truncate, "announced")]
    [InlineData(Lie.OtherBytes, "do not hash")]
    public void Audit_AfterTheStoreTimeChallenges_AHolderThatDroppedTheShardOrKeepsOtherOrFewerBytes_FailsOnTheReadBack(Lie lie, string caught)
    {
        using var t = Network(25, count: 2);
        var data = ShardTestNetwork.Shard(60_000, 25);
        var id = ShardId.Compute(data);
        var owner = t.OwnerOf(0);
        t.Net.Run(async () =>
        {
            await t.StartAsync();
            await owner.PutAsync(data, CancellationToken.None);
            await t.Nodes[0].Store.DeleteAsync(id);
            for (var i = 0; i < t.Options.AuditChallengesAtStore; i++)
            {
                Assert.True(Assert.Single((await owner.AuditAsync(id, CancellationToken.None)).Holders).LastAuditPassed);
            }

            // The holder stops keeping the shard: it drops it (None: honest about it), or keeps half of it, or other bytes.
            if (lie == Lie.None)
            {
                await t.Nodes[1].Store.DeleteAsync(id);
            }

            Liar(t).Mode = lie;
            var audited = await owner.Care.AuditAsync(id, CancellationToken.None);
            var holder = Assert.Single(audited.Shard.Holders);
            Assert.False(holder.LastAuditPassed);
            Assert.Contains(caught, holder.LastAuditDetail, StringComparison.Ordinal);
            var (peer, verdict) = Assert.Single(audited.Verdicts);
            Assert.Equal(t.Nodes[1].Identity.PeerId, peer);
            Assert.Equal(lie == Lie.None ? HolderVerdict.Missing : HolderVerdict.Wrong, verdict);
            Assert.Empty(holder.Challenges);

            if (lie != Lie.None)
            {
                // Without the read-back's check against the id, the liar's bytes would be taken for the shard, and the
                // fresh challenges prepared from them would be ones the liar can answer.
                var raw = new byte[data.Length];
                try
                {
                    await t.ClientOf(0).FetchAsync(await t.ConnectAsync(0, 1), id, 0, ShardCodec.ToEnd, raw, null, CancellationToken.None);
                }
                catch (ShardExchangeException)
                {
                    // The truncating liar: the client's own count check is what catches it.
                }

                Assert.NotEqual(data, raw);
            }
        });
        Assert.Equal(1, t.Nodes[0].Metrics.AuditsFailed);
    }
}
