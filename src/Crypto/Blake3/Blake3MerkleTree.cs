namespace Overlay.Crypto;

/// <summary>
/// A binary Merkle tree over 32-byte leaves with BLAKE3 (docs/PROTOCOL.md, "Provider batch (kind 3)"): a
/// leaf hashes as BLAKE3(0x00 ‖ leaf), an inner node as BLAKE3(0x01 ‖ left ‖ right), so a leaf can never
/// pass for an inner node or the reverse. Leaves pair left to right on each level; the last node of an odd
/// level has no sibling and moves up unchanged, so a path has at most ⌈log₂ n⌉ hashes and its length
/// follows from the leaf's index and the leaf count alone. Built once, immutable; paths are read from the
/// kept levels without hashing.
/// </summary>
public sealed class Blake3MerkleTree
{
    /// <summary>Bytes of a leaf, a node and a path step.</summary>
    public const int HashSize = Blake3.HashSize;

    /// <summary>Most leaves a tree takes (2²⁴): far above any limit a caller sets, and a path then fits in 24 steps.</summary>
    public const int MaxLeaves = 1 << 24;

    private const byte LeafTag = 0;
    private const byte NodeTag = 1;

    // Level 0 holds the leaf hashes; the last level holds the root alone.
    private readonly byte[][] _levels;

    private Blake3MerkleTree(byte[][] levels, int count)
    {
        _levels = levels;
        Count = count;
    }

    /// <summary>Leaves in the tree.</summary>
    public int Count { get; }

    /// <summary>The root (32 bytes).</summary>
    public ReadOnlySpan<byte> Root => _levels[^1];

    /// <summary>Builds the tree over <paramref name="leaves"/>: 1 to <see cref="MaxLeaves"/> leaves of 32 bytes each, back to back.</summary>
    public static Blake3MerkleTree Build(ReadOnlySpan<byte> leaves)
    {
        if (leaves.Length == 0 || leaves.Length % HashSize != 0 || leaves.Length / HashSize > MaxLeaves)
        {
            throw new ArgumentException($"Leaves are 1 to {MaxLeaves} values of {HashSize} bytes, back to back; got {leaves.Length} bytes.", nameof(leaves));
        }

        var count = leaves.Length / HashSize;
        var levels = new List<byte[]>();
        var level = new byte[count * HashSize];
        for (var i = 0; i < count; i++)
        {
            HashLeaf(leaves.Slice(i * HashSize, HashSize), level.AsSpan(i * HashSize, HashSize));
        }

        levels.Add(level);
        while (level.Length > HashSize)
        {
            var n = level.Length / HashSize;
            var up = new byte[((n + 1) / 2) * HashSize];
            for (var i = 0; i < n / 2; i++)
            {
                HashNode(level.AsSpan(2 * i * HashSize, HashSize), level.AsSpan(((2 * i) + 1) * HashSize, HashSize), up.AsSpan(i * HashSize, HashSize));
            }

            if (n % 2 == 1)
            {
                level.AsSpan((n - 1) * HashSize, HashSize).CopyTo(up.AsSpan((n / 2) * HashSize));
            }

            levels.Add(up);
            level = up;
        }

        return new Blake3MerkleTree([.. levels], count);
    }

    /// <summary>Hashes in the path of leaf <paramref name="index"/> of <paramref name="count"/>; -1 when the index is outside 0 to count − 1 or the count outside 1 to <see cref="MaxLeaves"/>.</summary>
    public static int PathLength(int index, int count)
    {
        if (count < 1 || count > MaxLeaves || index < 0 || index >= count)
        {
            return -1;
        }

        var steps = 0;
        for (int i = index, n = count; n > 1; i >>= 1, n = (n + 1) >> 1)
        {
            steps += (i ^ 1) < n ? 1 : 0;
        }

        return steps;
    }

    /// <summary>Writes the path of leaf <paramref name="index"/> (its siblings from the leaves up, 32 bytes each) into <paramref name="destination"/>; returns the bytes written.</summary>
    public int WritePath(int index, Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        var at = 0;
        var i = index;
        for (var l = 0; l < _levels.Length - 1; l++, i >>= 1)
        {
            var n = _levels[l].Length / HashSize;
            var sibling = i ^ 1;
            if (sibling < n)
            {
                _levels[l].AsSpan(sibling * HashSize, HashSize).CopyTo(destination[at..]);
                at += HashSize;
            }
        }

        return at;
    }

    /// <summary>The path of leaf <paramref name="index"/> as a new array.</summary>
    public byte[] Path(int index)
    {
        var path = new byte[PathLength(index, Count) * HashSize];
        WritePath(index, path);
        return path;
    }

    /// <summary>
    /// Computes the root that <paramref name="leaf"/> at <paramref name="index"/> of <paramref name="count"/> leaves
    /// and <paramref name="path"/> lead to, into <paramref name="root"/> (32 bytes). False, without throwing, when the
    /// index or count is out of range or the path is not exactly as long as they require; the caller compares the
    /// root with the one it trusts.
    /// </summary>
    public static bool TryComputeRoot(ReadOnlySpan<byte> leaf, int index, int count, ReadOnlySpan<byte> path, Span<byte> root)
    {
        var steps = PathLength(index, count);
        if (steps < 0 || leaf.Length != HashSize || root.Length < HashSize || path.Length != steps * HashSize)
        {
            return false;
        }

        Span<byte> node = stackalloc byte[HashSize];
        HashLeaf(leaf, node);
        var at = 0;
        for (int i = index, n = count; n > 1; i >>= 1, n = (n + 1) >> 1)
        {
            var sibling = i ^ 1;
            if (sibling >= n)
            {
                continue;
            }

            var step = path.Slice(at, HashSize);
            at += HashSize;
            if ((i & 1) == 0)
            {
                HashNode(node, step, node);
            }
            else
            {
                HashNode(step, node, node);
            }
        }

        node.CopyTo(root);
        return true;
    }

    private static void HashLeaf(ReadOnlySpan<byte> leaf, Span<byte> output)
    {
        Span<byte> input = stackalloc byte[1 + HashSize];
        input[0] = LeafTag;
        leaf.CopyTo(input[1..]);
        Blake3.Hash(input, output);
    }

    // Safe when output aliases left or right: both are copied into the input first.
    private static void HashNode(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right, Span<byte> output)
    {
        Span<byte> input = stackalloc byte[1 + (2 * HashSize)];
        input[0] = NodeTag;
        left.CopyTo(input[1..]);
        right.CopyTo(input[(1 + HashSize)..]);
        Blake3.Hash(input, output);
    }
}
