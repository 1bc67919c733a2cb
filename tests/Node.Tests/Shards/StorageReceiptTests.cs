using Overlay.Crypto;
using Overlay.Node.Shards;
using Overlay.Storage;

namespace Overlay.Node.Tests.Shards;

/// <summary>Storage receipts: signed by the holder, checked by the owner; forged, foreign and malformed ones refused.</summary>
public sealed class StorageReceiptTests
{
    private static readonly DateTimeOffset Expiry = new(2026, 3, 1, 12, 0, 0, 123, TimeSpan.Zero);
    private static readonly NodeIdentity Holder = NodeIdentity.FromSeed(new byte[32]);
    private static readonly PeerId Owner = PeerId.FromPublicKeyMaterial([7]);
    private static readonly ShardId Shard = ShardId.Compute([1, 2, 3, 4]);

    [Fact]
    public void Issue_EncodeDecode_RoundTripsAndChecks()
    {
        var bytes = StorageReceipt.Issue(Holder, Shard, 4, Owner, Expiry, 42).Encode();
        Assert.True(StorageReceipt.TryDecode(bytes, out var receipt, out var error), error.ToString());
        Assert.Equal((Shard, 4, Holder.PeerId, Owner, Expiry, 42UL), (receipt.Shard, receipt.Size, receipt.Holder, receipt.Owner, receipt.ExpiresAt, receipt.Sequence));
        Assert.Equal(ReceiptRejection.None, receipt.Check(Shard, 4, Owner, Holder.PeerId));
        Assert.Equal(bytes, receipt.Encode());
    }

    [Fact]
    public void Check_ReceiptForAnotherShardSizeOwnerOrHolder_IsRefusedByName()
    {
        Assert.True(StorageReceipt.TryDecode(StorageReceipt.Issue(Holder, Shard, 4, Owner, Expiry, 1).Encode(), out var receipt, out _));
        Assert.Equal(ReceiptRejection.WrongShard, receipt.Check(ShardId.Compute([9]), 4, Owner, Holder.PeerId));
        Assert.Equal(ReceiptRejection.WrongSize, receipt.Check(Shard, 5, Owner, Holder.PeerId));
        Assert.Equal(ReceiptRejection.WrongOwner, receipt.Check(Shard, 4, PeerId.FromPublicKeyMaterial([8]), Holder.PeerId));
        Assert.Equal(ReceiptRejection.WrongHolder, receipt.Check(Shard, 4, Owner, PeerId.FromPublicKeyMaterial([9])));
    }

    [Fact]
    public void Check_AnySignedByteChanged_IsABadSignature_ThoughTheFieldsStillDecode()
    {
        var bytes = StorageReceipt.Issue(Holder, Shard, 4, Owner, Expiry, 1).Encode();

        // The sequence (byte 109..116) and the expiry (101..108): a holder raising its promise after the fact.
        foreach (var at in new[] { 110, 105 })
        {
            var forged = (byte[])bytes.Clone();
            forged[at] ^= 1;
            Assert.True(StorageReceipt.TryDecode(forged, out var receipt, out _));

            // Without the signature check the forged receipt would pass every field check.
            Assert.Equal(Shard, receipt.Shard);
            Assert.Equal(ReceiptRejection.BadSignature, receipt.Check(Shard, 4, Owner, Holder.PeerId));
        }
    }

    [Fact]
    public void TryDecode_AnotherIdentitysKeyUnderTheHoldersId_IsRefused()
    {
        using var other = NodeIdentity.FromSeed(Enumerable.Repeat((byte)5, 32).ToArray());
        var bytes = StorageReceipt.Issue(other, Shard, 4, Owner, Expiry, 1).Encode();
        Holder.PeerId.WriteTo(bytes.AsSpan(37));
        Assert.False(StorageReceipt.TryDecode(bytes, out _, out var error));
        Assert.Equal(ShardWireError.BadKey, error);
    }

    [Fact]
    public void TryDecode_SeededRandomAndMutatedBytes_NeverThrows_AndNoMutationChecks()
    {
        var valid = StorageReceipt.Issue(Holder, Shard, 4, Owner, Expiry, 1).Encode();
        var random = new Random(18);
        var accepted = 0;
        for (var i = 0; i < 5_000; i++)
        {
            var bytes = new byte[random.Next(0, 200)];
            random.NextBytes(bytes);
            Assert.False(StorageReceipt.TryDecode(bytes, out _, out _));

            var mutated = (byte[])valid.Clone();
            mutated[random.Next(mutated.Length)] ^= (byte)(1 << random.Next(8));
            if (random.Next(4) == 0)
            {
                mutated = mutated[..random.Next(mutated.Length)];
            }

            if (StorageReceipt.TryDecode(mutated, out var receipt, out _))
            {
                accepted++;
                Assert.NotEqual(ReceiptRejection.None, receipt.Check(Shard, 4, Owner, Holder.PeerId));
            }
        }

        Assert.True(accepted > 0);
    }

    [Theory]
    [InlineData(Lie.ForeignReceipt, ReceiptRejection.WrongShard)]
    [InlineData(Lie.ForgedReceipt, ReceiptRejection.BadSignature)]
    public void Put_HolderAnswersWithABadReceipt_IsNotCountedAsAHolderAndIsCounted(Lie lie, ReceiptRejection expected)
    {
        using var t = new ShardTestNetwork(2, 60, null, (i, node, real) => i == 1 ? new LyingHolder(real, node) { Mode = lie } : real);
        ((LyingHolder)t.Nodes[1].Protocols.HandlerOf(Overlay.Transport.ProtocolIds.Shard)!).Owner = t.Nodes[0].Identity.PeerId;
        var owner = t.OwnerOf(0);
        var data = ShardTestNetwork.Shard(20_000, 60);
        t.Net.Run(async () =>
        {
            await t.StartAsync();
            var put = await owner.PutAsync(data, CancellationToken.None);
            Assert.Empty(put.Holders);
            var attempt = Assert.Single(put.Attempts);
            Assert.Equal(ShardRefusal.Mismatch, attempt.Refusal);
            Assert.Contains(expected.ToString(), attempt.Detail, StringComparison.Ordinal);
            Assert.Null(owner.Status(ShardId.Compute(data)));
        });
        Assert.Equal(1, t.Nodes[0].Metrics.ToJson()["receiptsRejected"]!.GetValue<long>());
    }
}
