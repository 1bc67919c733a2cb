namespace Overlay.Crypto.Tests.Blake3Tests;

/// <summary>
/// The Merkle tree over provider ids: roots written out by hand for small trees, every path of seeded random trees
/// leads to the root, and any change to the leaf, the path or the index leads elsewhere or is refused.
/// </summary>
public sealed class Blake3MerkleTreeTests
{
    [Fact]
    public void Root_OfOneTwoAndThreeLeaves_IsTheHandWrittenHash()
    {
        var a = Leaf(1);
        var b = Leaf(2);
        var c = Leaf(3);
        Assert.Equal(H([0, .. a]), Blake3MerkleTree.Build(a).Root.ToArray());
        var ab = H([1, .. H([0, .. a]), .. H([0, .. b])]);
        Assert.Equal(ab, Blake3MerkleTree.Build([.. a, .. b]).Root.ToArray());
        // The third leaf has no sibling: it moves up unchanged and pairs with ab at the top.
        Assert.Equal(H([1, .. ab, .. H([0, .. c])]), Blake3MerkleTree.Build([.. a, .. b, .. c]).Root.ToArray());
        Assert.Equal(0, Blake3MerkleTree.PathLength(0, 1));
        Assert.Equal(1, Blake3MerkleTree.PathLength(2, 3));
        Assert.Equal(2, Blake3MerkleTree.PathLength(0, 3));
    }

    [Fact]
    public void Paths_OfSeededRandomTrees_ReachTheRootAndNothingElseDoes()
    {
        var random = new Random(1101);
        Span<byte> root = stackalloc byte[32];
        for (var round = 0; round < 300; round++)
        {
            var count = round < 40 ? round + 1 : random.Next(1, 1100);
            var leaves = new byte[count * 32];
            random.NextBytes(leaves);
            var tree = Blake3MerkleTree.Build(leaves);
            Assert.Equal(count, tree.Count);
            var expected = tree.Root.ToArray();
            for (var check = 0; check < Math.Min(count, 24); check++)
            {
                var index = check < 2 ? (check == 0 ? 0 : count - 1) : random.Next(count);
                var leaf = leaves.AsSpan(index * 32, 32).ToArray();
                var path = tree.Path(index);
                Assert.Equal(Blake3MerkleTree.PathLength(index, count) * 32, path.Length);
                Assert.True(path.Length <= 32 * Math.Ceiling(Math.Log2(Math.Max(2, count))));
                Assert.True(Blake3MerkleTree.TryComputeRoot(leaf, index, count, path, root));
                Assert.Equal(expected, root.ToArray());

                // Another leaf, a flipped bit in the path, a shortened path or another index: never the same root.
                var other = (byte[])leaf.Clone();
                other[random.Next(32)] ^= (byte)(1 << random.Next(8));
                Assert.False(Reaches(other, index, count, path, expected));
                if (path.Length > 0)
                {
                    var bent = (byte[])path.Clone();
                    bent[random.Next(bent.Length)] ^= (byte)(1 << random.Next(8));
                    Assert.False(Reaches(leaf, index, count, bent, expected));
                    Assert.False(Blake3MerkleTree.TryComputeRoot(leaf, index, count, path.AsSpan(0, path.Length - 32), root));
                }

                if (count > 1)
                {
                    var moved = (index + 1 + random.Next(count - 1)) % count;
                    Assert.False(Reaches(leaf, moved, count, path, expected));
                }

                // The count is not bound by the path (a tree one leaf larger can give this leaf the same path and root),
                // which is why a provider batch signs its count beside the root.
            }
        }
    }

    [Fact]
    public void TryComputeRoot_OutOfRangeInput_IsFalseNotAnException()
    {
        Span<byte> root = stackalloc byte[32];
        var leaf = Leaf(9);
        Assert.False(Blake3MerkleTree.TryComputeRoot(leaf, -1, 4, new byte[64], root));
        Assert.False(Blake3MerkleTree.TryComputeRoot(leaf, 4, 4, new byte[64], root));
        Assert.False(Blake3MerkleTree.TryComputeRoot(leaf, 0, 0, [], root));
        Assert.False(Blake3MerkleTree.TryComputeRoot(leaf, 0, 4, new byte[65], root));
        Assert.False(Blake3MerkleTree.TryComputeRoot(leaf.AsSpan(1), 0, 1, [], root));
        Assert.Throws<ArgumentException>(() => Blake3MerkleTree.Build([]));
        Assert.Throws<ArgumentException>(() => Blake3MerkleTree.Build(new byte[33]));
    }

    private static bool Reaches(byte[] leaf, int index, int count, byte[] path, byte[] expected)
    {
        Span<byte> root = stackalloc byte[32];
        return Blake3MerkleTree.TryComputeRoot(leaf, index, count, path, root) && root.SequenceEqual(expected);
    }

    private static byte[] Leaf(byte fill) => Enumerable.Repeat(fill, 32).ToArray();

    private static byte[] H(byte[] input)
    {
        var output = new byte[32];
        Blake3.Hash(input, output);
        return output;
    }
}
