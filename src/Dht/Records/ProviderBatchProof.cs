using Overlay.Crypto;

namespace Overlay.Dht.Records;

/// <summary>
/// What makes one id of a signed <see cref="ProviderBatch"/> checkable on its own (docs/PROTOCOL.md, "Batched
/// provider record (kind 4)"): the batch's Merkle root and leaf count, which the provider signed, and the id's
/// index and path in the tree. A fetcher recomputes the root from the id and the path, compares it with
/// <see cref="Root"/>, then checks the signature over the root. Immutable.
/// </summary>
/// <param name="Root">The batch's Merkle root (32 bytes).</param>
/// <param name="LeafIndex">The id's position in the batch's sorted ids, 0 to <paramref name="LeafCount"/> − 1.</param>
/// <param name="LeafCount">Ids in the batch.</param>
/// <param name="Path">The id's Merkle path, <see cref="Blake3MerkleTree.PathLength"/> hashes of 32 bytes.</param>
public sealed record ProviderBatchProof(ReadOnlyMemory<byte> Root, int LeafIndex, int LeafCount, ReadOnlyMemory<byte> Path)
{
    /// <summary>True when <paramref name="key"/> with this path leads to <see cref="Root"/>.</summary>
    public bool Reaches(PeerId key)
    {
        Span<byte> leaf = stackalloc byte[PeerId.Size];
        Span<byte> root = stackalloc byte[Blake3MerkleTree.HashSize];
        key.WriteTo(leaf);
        return Root.Length == Blake3MerkleTree.HashSize
            && Blake3MerkleTree.TryComputeRoot(leaf, LeafIndex, LeafCount, Path.Span, root)
            && root.SequenceEqual(Root.Span);
    }

    /// <summary>Equal when every field carries the same bytes.</summary>
    public bool Equals(ProviderBatchProof? other) =>
        other is not null && LeafIndex == other.LeafIndex && LeafCount == other.LeafCount
        && Root.Span.SequenceEqual(other.Root.Span) && Path.Span.SequenceEqual(other.Path.Span);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(LeafIndex, LeafCount, Path.Length);
}
