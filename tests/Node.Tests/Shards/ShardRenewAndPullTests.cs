using Overlay.Crypto;
using Overlay.Node.Shards;
using Overlay.Storage;
using Overlay.Transport;

namespace Overlay.Node.Tests.Shards;

/// <summary>The Renew and Pull operations of <c>shard/1</c>, and the owner's checks of what they return.</summary>
public sealed class ShardRenewAndPullTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Renew_ByTheOwner_GivesALaterReceipt_AndNoOneElseCanRenewItsHold()
    {
        using var t = new ShardTestNetwork(3, seed: 60);
        var data = ShardTestNetwork.Shard(4000, 60);
        var id = ShardId.Compute(data);
        t.Net.Run(async () =>
        {
            await t.StartAsync();
            var first = await t.ClientOf(0).StoreAsync(await t.ConnectAsync(0, 1), id, data, Start.AddDays(1), CancellationToken.None);
            var renewed = await t.ClientOf(0).RenewAsync(await t.ConnectAsync(0, 1), id, data.Length, Start.AddDays(5), CancellationToken.None);
            Assert.True(renewed.Sequence > first.Sequence);
            Assert.Equal(Start.AddDays(5), renewed.ExpiresAt);

            // Node 2 has no hold on the shard at node 1: its renewal is refused, typed.
            var other = await Assert.ThrowsAsync<ShardExchangeException>(() => t.ClientOf(2).RenewAsync(t.ConnectAsync(2, 1).AsTask().Result, id, data.Length, Start.AddDays(5), CancellationToken.None));
            Assert.Equal(ShardRefusal.NotFound, other.Refusal);
            var unknown = await Assert.ThrowsAsync<ShardExchangeException>(() => t.ClientOf(0).RenewAsync(t.ConnectAsync(0, 1).AsTask().Result, ShardId.Compute([1]), 1, Start.AddDays(5), CancellationToken.None));
            Assert.Equal(ShardRefusal.NotFound, unknown.Refusal);
        }, TimeSpan.FromMinutes(1));
    }

    [Fact]
    public void Renew_WhenTheHolderReplaysItsOldReceipt_TheOwnerRefusesItStale()
    {
        LyingHolder? liar = null;
        using var t = new ShardTestNetwork(2, seed: 61, o => o.Replicas = 1, (i, node, real) => i == 1 ? liar = new LyingHolder(real, node) : real);
        var data = ShardTestNetwork.Shard(3000, 61);
        var owner = t.OwnerOf(0);
        liar!.Owner = t.Nodes[0].Identity.PeerId;
        liar.Mode = Lie.ReplayReceipt;
        IReadOnlyList<(PeerId Holder, HolderVerdict Verdict)> verdicts = [];
        byte[] kept = [];
        t.Net.Run(async () =>
        {
            await t.StartAsync();
            var put = await owner.PutAsync(data, CancellationToken.None);
            kept = put.Holders[0].Receipt;
            // Within RenewBefore of the receipt's expiry.
            await Task.Delay(t.Options.HoldDuration - t.Options.RenewBefore + TimeSpan.FromHours(1), t.Clock);
            verdicts = await owner.Care.RenewAsync(put.Id, CancellationToken.None);
        }, TimeSpan.FromMinutes(1));

        Assert.Equal(HolderVerdict.Wrong, Assert.Single(verdicts).Verdict);
        // Without the sequence rule the replay would pass: it is well formed, signed by the holder, for this shard and owner.
        Assert.NotNull(t.ClientOf(0).CheckReceipt(kept, ShardId.Compute(data), data.Length, t.Nodes[1].Identity.PeerId));
        Assert.Equal(kept, owner.Status(ShardId.Compute(data))!.Holders[0].Receipt);
    }

    [Fact]
    public void Pull_FromASurvivor_TheNewHolderKeepsVerifiedBytesForTheOwner()
    {
        using var t = new ShardTestNetwork(3, seed: 62);
        var data = ShardTestNetwork.Shard(16 * 1024, 62);
        var id = ShardId.Compute(data);
        StorageReceipt? receipt = null;
        t.Net.Run(async () =>
        {
            await t.StartAsync();
            await t.ClientOf(0).StoreAsync(await t.ConnectAsync(0, 1), id, data, Start.AddDays(1), CancellationToken.None);
            receipt = await t.ClientOf(0).PullAsync(await t.ConnectAsync(0, 2), id, data.Length, Start.AddDays(1), t.Nodes[1].Address, CancellationToken.None);
        }, TimeSpan.FromMinutes(1));

        Assert.Equal(t.Nodes[0].Identity.PeerId, receipt!.Owner);
        Assert.Equal(t.Nodes[2].Identity.PeerId, receipt.Holder);
        var copy = new byte[data.Length];
        Assert.Equal(ShardReadStatus.Found, t.Nodes[2].Store.Read(id, copy).Status);
        Assert.Equal(data, copy);
        Assert.Equal(1, t.Nodes[2].Store.GetOwnerUsage(t.Nodes[0].Identity.PeerId).ShardCount);
    }

    [Fact]
    public void Pull_FromASourceThatSendsOtherBytes_IsRefusedAndStoresNothing()
    {
        LyingHolder? liar = null;
        using var t = new ShardTestNetwork(3, seed: 63, wrap: (i, node, real) => i == 1 ? liar = new LyingHolder(real, node) : real);
        var data = ShardTestNetwork.Shard(8000, 63);
        var id = ShardId.Compute(data);
        ShardExchangeException? refused = null;
        var raw = new byte[data.Length];
        t.Net.Run(async () =>
        {
            await t.StartAsync();
            await t.ClientOf(0).StoreAsync(await t.ConnectAsync(0, 1), id, data, Start.AddDays(1), CancellationToken.None);
            liar!.Mode = Lie.OtherBytes;
            // The attack: the source's bytes are not the shard's.
            await t.ClientOf(0).FetchAsync(await t.ConnectAsync(0, 1), id, 0, ShardCodec.ToEnd, raw, null, CancellationToken.None);
            refused = await Assert.ThrowsAsync<ShardExchangeException>(() =>
                t.ClientOf(0).PullAsync(t.ConnectAsync(0, 2).AsTask().Result, id, data.Length, Start.AddDays(1), t.Nodes[1].Address, CancellationToken.None));
        }, TimeSpan.FromMinutes(1));

        Assert.NotEqual(data, raw);
        Assert.Equal(ShardRefusal.NotFound, refused!.Refusal);
        Assert.False(t.Nodes[2].Store.Contains(id));
    }

    [Theory]
    [InlineData("self")]
    [InlineData("unpinned")]
    public void Pull_NamingNoOtherPinnedNode_IsRefusedMalformed(string source)
    {
        using var t = new ShardTestNetwork(3, seed: 64);
        var data = ShardTestNetwork.Shard(1000, 64);
        ShardExchangeException? refused = null;
        t.Net.Run(async () =>
        {
            await t.StartAsync();
            var address = source == "self" ? t.Nodes[2].Address : t.Nodes[1].Address.WithPeer(null);
            refused = await Assert.ThrowsAsync<ShardExchangeException>(() =>
                t.ClientOf(0).PullAsync(t.ConnectAsync(0, 2).AsTask().Result, ShardId.Compute(data), data.Length, Start.AddDays(1), address, CancellationToken.None));
        }, TimeSpan.FromMinutes(1));

        Assert.Equal(ShardRefusal.Malformed, refused!.Refusal);
    }

    [Fact]
    public void Codec_RenewAndPull_RoundTrip_AndBadAddressesAreTyped()
    {
        var id = ShardId.Compute([5]);
        Assert.True(ShardCodec.TryDecodeRequest(ShardCodec.EncodeRenew(id, Start), out var renew, out _));
        Assert.Equal((ShardOperation.Renew, id, Start), (renew.Operation, renew.Id, renew.ExpiresAt));
        var pull = ShardCodec.EncodePull(id, 77, Start, "mem://10.0.0.1:1");
        Assert.True(ShardCodec.TryDecodeRequest(pull, out var decoded, out _));
        Assert.Equal((ShardOperation.Pull, 77, "mem://10.0.0.1:1"), (decoded.Operation, decoded.Size, decoded.Source));

        var badUtf8 = (byte[])pull.Clone();
        badUtf8[^1] = 0xFF;
        Assert.False(ShardCodec.TryDecodeRequest(badUtf8, out _, out var error));
        Assert.Equal(ShardWireError.BadAddress, error);
        Assert.False(ShardCodec.TryDecodeRequest(pull.AsSpan(0, pull.Length - 1), out _, out error));
        Assert.Equal(ShardWireError.Truncated, error);
    }
}
