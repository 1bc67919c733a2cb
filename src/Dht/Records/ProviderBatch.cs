using Overlay.Crypto;

namespace Overlay.Dht.Records;

/// <summary>
/// "Peer <see cref="Provider"/> holds the content named by each of <see cref="Ids"/> until <see cref="Expires"/>",
/// with one signature for all of them (docs/PROTOCOL.md, "Provider batch (kind 3)"): the ids are sorted and
/// distinct, <see cref="Root"/> is the BLAKE3 Merkle root over them, and the provider signs the batch signing
/// payload (provider, expiry, id count, public key, root). A storing node checks the root and the signature once
/// and keeps, per id, a <see cref="ProviderRecord"/> with a <see cref="ProviderBatchProof"/> that a fetcher can
/// check on its own. Immutable once built; nothing here is checked (that is <see cref="RecordValidator"/>'s).
/// </summary>
public sealed class ProviderBatch
{
    /// <summary>A batch as read from the wire (each memory owned by the batch from now on).</summary>
    public ProviderBatch(PeerId provider, long expiresUnixMs, ReadOnlyMemory<byte> ids, ReadOnlyMemory<byte> root, ReadOnlyMemory<byte> providerPublicKey, ReadOnlyMemory<byte> signature)
    {
        Provider = provider;
        ExpiresUnixMs = expiresUnixMs;
        Ids = ids;
        Root = root;
        ProviderPublicKey = providerPublicKey;
        Signature = signature;
    }

    /// <summary>The peer that holds the content.</summary>
    public PeerId Provider { get; }

    /// <summary>Expiry in milliseconds since the Unix epoch.</summary>
    public long ExpiresUnixMs { get; }

    /// <summary>The content keys, 32 bytes each, back to back, sorted ascending (as the sender claims).</summary>
    public ReadOnlyMemory<byte> Ids { get; }

    /// <summary>The Merkle root the provider signed (as the sender claims: 32 bytes).</summary>
    public ReadOnlyMemory<byte> Root { get; }

    /// <summary>The provider's encoded public key.</summary>
    public ReadOnlyMemory<byte> ProviderPublicKey { get; }

    /// <summary>The provider's signature over the batch signing payload.</summary>
    public ReadOnlyMemory<byte> Signature { get; }

    /// <summary>Ids in the batch.</summary>
    public int Count => Ids.Length / PeerId.Size;

    /// <summary>Expiry as a time.</summary>
    public DateTimeOffset Expires => DateTimeOffset.FromUnixTimeMilliseconds(ExpiresUnixMs);

    /// <summary>Id <paramref name="index"/>.</summary>
    public PeerId IdAt(int index) => PeerId.FromBytes(Ids.Span.Slice(index * PeerId.Size, PeerId.Size));

    /// <summary>
    /// Signs a batch of <paramref name="sortedKeys"/> (ascending, distinct, 1 to <see cref="Blake3MerkleTree.MaxLeaves"/>):
    /// builds the Merkle tree, writes the batch signing payload over its root and hands it to <paramref name="sign"/>.
    /// </summary>
    public static ProviderBatch Create(ReadOnlySpan<PeerId> sortedKeys, PeerId provider, long expiresUnixMs, ReadOnlySpan<byte> providerPublicKey, Func<byte[], byte[]> sign)
    {
        ArgumentNullException.ThrowIfNull(sign);
        var ids = new byte[sortedKeys.Length * PeerId.Size];
        for (var i = 0; i < sortedKeys.Length; i++)
        {
            if (i > 0 && sortedKeys[i] <= sortedKeys[i - 1])
            {
                throw new ArgumentException("A batch's keys are sorted ascending and distinct.", nameof(sortedKeys));
            }

            sortedKeys[i].WriteTo(ids.AsSpan(i * PeerId.Size));
        }

        var root = Blake3MerkleTree.Build(ids).Root.ToArray();
        var payload = new byte[ProviderBatchEncoding.SigningPayloadLength(providerPublicKey.Length)];
        ProviderBatchEncoding.WriteSigningPayload(provider, expiresUnixMs, sortedKeys.Length, providerPublicKey, root, payload);
        return new ProviderBatch(provider, expiresUnixMs, ids, root, providerPublicKey.ToArray(), sign(payload));
    }

    /// <summary>The record of id <paramref name="index"/>, with its path in <paramref name="tree"/> (this batch's tree, built over <see cref="Ids"/>).</summary>
    public ProviderRecord RecordAt(int index, Blake3MerkleTree tree)
    {
        ArgumentNullException.ThrowIfNull(tree);
        return new ProviderRecord(IdAt(index), Provider, ExpiresUnixMs, ProviderPublicKey, Signature)
        {
            Batch = new ProviderBatchProof(Root, index, Count, tree.Path(index)),
        };
    }
}
