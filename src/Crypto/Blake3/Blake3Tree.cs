using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Overlay.Crypto;

/// <summary>
/// The hash tree (BLAKE3 spec §2.1): chunks are compressed many at a time, and each level of parent
/// nodes is compressed many at a time too, so the vector lanes stay busy all the way up the tree.
/// </summary>
internal static unsafe class Blake3Tree
{
    /// <summary>The widest lane count of any implementation.</summary>
    internal const int MaxDegree = 16;

    private const int CvSize = 32;

    /// <summary>Chunks compressed side by side by <paramref name="implementation"/>.</summary>
    public static int Degree(Blake3Implementation implementation) => implementation switch
    {
        Blake3Implementation.Vector512 => 16,
        Blake3Implementation.Vector256 => 8,
        Blake3Implementation.Vector128 => 4,
        _ => 1,
    };

    /// <summary>
    /// Hashes a whole input (root included) and writes output from byte <paramref name="offset"/> of the
    /// extendable output. Uses only the stack: the one-shot API allocates nothing.
    /// </summary>
    [SkipLocalsInit]
    public static void Hash(Blake3Implementation implementation, ReadOnlySpan<byte> input, uint* key, uint flags, ulong offset, Span<byte> output)
    {
        var block = stackalloc byte[Blake3.BlockSize];
        var cv = stackalloc uint[8];
        fixed (byte* p = input)
        {
            if (input.Length <= Blake3.ChunkSize)
            {
                // A lone chunk is the root itself: its last block is compressed with the ROOT flag.
                var (blockLength, blockFlags) = ChunkUpToLastBlock(implementation, p, input.Length, key, 0, flags, cv, block);
                RootOutput(implementation, cv, block, blockLength, blockFlags, offset, output);
                return;
            }

            SubtreeToParentNode(implementation, p, input.Length, key, 0, flags, block);
        }

        new ReadOnlySpan<uint>(key, 8).CopyTo(new Span<uint>(cv, 8));
        RootOutput(implementation, cv, block, Blake3.BlockSize, flags | (uint)Blake3Flags.Parent, offset, output);
    }

    /// <summary>
    /// Hashes a subtree of more than one chunk, starting at chunk <paramref name="chunkCounter"/>, down to its
    /// top parent node: the 64-byte block of its two child chaining values, not yet compressed, because
    /// it may be the root.
    /// </summary>
    [SkipLocalsInit]
    public static void SubtreeToParentNode(Blake3Implementation implementation, byte* input, long length, uint* key, ulong chunkCounter, uint flags, byte* parentBlock)
    {
        var cvs = stackalloc byte[MaxDegree * CvSize];
        var count = SubtreeWide(implementation, input, length, key, chunkCounter, flags, cvs);
        ReduceToTwo(implementation, cvs, count, key, flags);
        Buffer.MemoryCopy(cvs, parentBlock, Blake3.BlockSize, Blake3.BlockSize);
    }

    /// <summary>The (non-root) chaining value of a subtree of any length ≥ 1 byte starting at chunk <paramref name="chunkCounter"/>.</summary>
    [SkipLocalsInit]
    public static void SubtreeChainingValue(Blake3Implementation implementation, byte* input, long length, uint* key, ulong chunkCounter, uint flags, uint* cv)
    {
        if (length <= Blake3.ChunkSize)
        {
            ChunkChainingValue(implementation, input, (int)length, key, chunkCounter, flags, cv);
            return;
        }

        var block = stackalloc byte[Blake3.BlockSize];
        SubtreeToParentNode(implementation, input, length, key, chunkCounter, flags, block);
        new ReadOnlySpan<uint>(key, 8).CopyTo(new Span<uint>(cv, 8));
        Blake3Compression.CompressInPlace(implementation, cv, block, 0, Blake3.BlockSize, flags | (uint)Blake3Flags.Parent);
    }

    /// <summary>
    /// Combines <paramref name="count"/> chaining values of one tree level (all complete subtrees of one
    /// size, except that the last may be smaller) pairwise until two remain, in place.
    /// </summary>
    [SkipLocalsInit]
    public static void ReduceToTwo(Blake3Implementation implementation, byte* cvs, int count, uint* key, uint flags)
    {
        var scratch = stackalloc byte[MaxDegree * CvSize];
        while (count > 2)
        {
            // Compress at most 2·MaxDegree inputs per pass so the scratch stays on the stack.
            var written = 0;
            for (var start = 0; start < count; start += 2 * MaxDegree)
            {
                var n = Math.Min(2 * MaxDegree, count - start);
                var produced = ParentsWide(implementation, cvs + (start * CvSize), n, key, flags, scratch);
                Buffer.MemoryCopy(scratch, cvs + (written * CvSize), produced * CvSize, produced * CvSize);
                written += produced;
            }

            count = written;
        }
    }

    // Returns how many chaining values it wrote to output (at most max(degree, 2)). Splits like the
    // spec's tree: the left subtree is the largest power-of-two number of chunks that leaves at least one
    // byte on the right. Both halves come back as CVs of the same level (the last may cover fewer chunks),
    // so one wide parent pass combines them.
    [SkipLocalsInit]
    private static int SubtreeWide(Blake3Implementation implementation, byte* input, long length, uint* key, ulong chunkCounter, uint flags, byte* output)
    {
        var degree = Degree(implementation);
        if (length <= (long)degree * Blake3.ChunkSize)
        {
            return ChunksWide(implementation, input, length, key, chunkCounter, flags, output);
        }

        var leftLength = LeftSubtreeLength(length);
        var cvs = stackalloc byte[2 * MaxDegree * CvSize];
        var leftCount = SubtreeWide(implementation, input, leftLength, key, chunkCounter, flags, cvs);
        var rightCount = SubtreeWide(
            implementation, input + leftLength, length - leftLength, key,
            chunkCounter + (ulong)(leftLength / Blake3.ChunkSize), flags, cvs + (leftCount * CvSize));

        if (leftCount == 1)
        {
            // Only with one lane: hand both CVs up rather than compress a parent the caller may need as root.
            Buffer.MemoryCopy(cvs, output, 2 * CvSize, 2 * CvSize);
            return 2;
        }

        return ParentsWide(implementation, cvs, leftCount + rightCount, key, flags, output);
    }

    private static long LeftSubtreeLength(long length)
    {
        var fullChunks = (ulong)((length - 1) / Blake3.ChunkSize);
        return (long)BitOperations.RoundUpToPowerOf2(fullChunks + 1) / 2 * Blake3.ChunkSize;
    }

    // One CV per chunk: whole chunks through the lanes, a trailing partial chunk on its own.
    private static int ChunksWide(Blake3Implementation implementation, byte* input, long length, uint* key, ulong chunkCounter, uint flags, byte* output)
    {
        var whole = (int)(length / Blake3.ChunkSize);
        HashMany(
            implementation, input, whole, Blake3.ChunkSize, Blake3.ChunkSize / Blake3.BlockSize, key, chunkCounter, true,
            flags, (uint)Blake3Flags.ChunkStart, (uint)Blake3Flags.ChunkEnd, output);
        var rest = (int)(length - ((long)whole * Blake3.ChunkSize));
        if (rest == 0)
        {
            return whole;
        }

        ChunkChainingValue(
            implementation, input + ((long)whole * Blake3.ChunkSize), rest, key, chunkCounter + (ulong)whole, flags,
            (uint*)(output + (whole * CvSize)));
        return whole + 1;
    }

    // Pairs of adjacent CVs are parent blocks laid out back to back: 64-byte stride, one block each.
    private static int ParentsWide(Blake3Implementation implementation, byte* cvs, int count, uint* key, uint flags, byte* output)
    {
        var pairs = count / 2;
        HashMany(implementation, cvs, pairs, Blake3.BlockSize, 1, key, 0, false, flags | (uint)Blake3Flags.Parent, 0, 0, output);
        if ((count & 1) != 0)
        {
            // An odd CV out is the right edge of the tree: it moves up a level unchanged.
            Buffer.MemoryCopy(cvs + (2 * pairs * CvSize), output + (pairs * CvSize), CvSize, CvSize);
        }

        return pairs + (count & 1);
    }

    /// <summary>Compresses <paramref name="count"/> inputs of <paramref name="blocks"/> blocks each, the widest lanes first.</summary>
    [SkipLocalsInit]
    public static void HashMany(
        Blake3Implementation implementation, byte* input, int count, nint stride, int blocks, uint* key, ulong counter,
        bool incrementCounter, uint flags, uint flagsStart, uint flagsEnd, byte* output)
    {
        var step = incrementCounter ? 1UL : 0UL;
        if (implementation >= Blake3Implementation.Vector512)
        {
            for (; count >= 16; count -= 16, input += 16 * stride, output += 16 * CvSize, counter += 16 * step)
            {
                Blake3Kernel.HashMany<Vector512Lanes, Vector512<uint>>(input, stride, blocks, key, counter, incrementCounter, flags, flagsStart, flagsEnd, output);
            }
        }

        if (implementation >= Blake3Implementation.Vector256)
        {
            for (; count >= 8; count -= 8, input += 8 * stride, output += 8 * CvSize, counter += 8 * step)
            {
                Blake3Kernel.HashMany<Vector256Lanes, Vector256<uint>>(input, stride, blocks, key, counter, incrementCounter, flags, flagsStart, flagsEnd, output);
            }
        }

        if (implementation >= Blake3Implementation.Vector128)
        {
            for (; count >= 4; count -= 4, input += 4 * stride, output += 4 * CvSize, counter += 4 * step)
            {
                Blake3Kernel.HashMany<Vector128Lanes, Vector128<uint>>(input, stride, blocks, key, counter, incrementCounter, flags, flagsStart, flagsEnd, output);
            }
        }

        for (; count > 0; count--, input += stride, output += CvSize, counter += step)
        {
            var cv = (uint*)output;
            new ReadOnlySpan<uint>(key, 8).CopyTo(new Span<uint>(cv, 8));
            for (var b = 0; b < blocks; b++)
            {
                var blockFlags = flags | (b == 0 ? flagsStart : 0) | (b == blocks - 1 ? flagsEnd : 0);
                Blake3Compression.CompressInPlace(implementation, cv, input + (b * Blake3.BlockSize), counter, Blake3.BlockSize, blockFlags);
            }
        }
    }

    /// <summary>The chaining value of one chunk of 0..1024 bytes that is not the root.</summary>
    [SkipLocalsInit]
    public static void ChunkChainingValue(Blake3Implementation implementation, byte* input, int length, uint* key, ulong chunkCounter, uint flags, uint* cv)
    {
        var block = stackalloc byte[Blake3.BlockSize];
        var (blockLength, blockFlags) = ChunkUpToLastBlock(implementation, input, length, key, chunkCounter, flags, cv, block);
        Blake3Compression.CompressInPlace(implementation, cv, block, chunkCounter, blockLength, blockFlags);
    }

    // Compresses every block of a chunk but the last into cv, and copies the last (zero-padded) into
    // lastBlock, returning its length and flags: the caller decides whether it is the root.
    private static (uint BlockLength, uint Flags) ChunkUpToLastBlock(
        Blake3Implementation implementation, byte* input, int length, uint* key, ulong chunkCounter, uint flags, uint* cv, byte* lastBlock)
    {
        new ReadOnlySpan<uint>(key, 8).CopyTo(new Span<uint>(cv, 8));
        var blocks = Math.Max(1, (length + Blake3.BlockSize - 1) / Blake3.BlockSize);
        for (var b = 0; b < blocks - 1; b++)
        {
            var blockFlags = flags | (b == 0 ? (uint)Blake3Flags.ChunkStart : 0);
            Blake3Compression.CompressInPlace(implementation, cv, input + (b * Blake3.BlockSize), chunkCounter, Blake3.BlockSize, blockFlags);
        }

        var lastLength = length - ((blocks - 1) * Blake3.BlockSize);
        var last = new Span<byte>(lastBlock, Blake3.BlockSize);
        new ReadOnlySpan<byte>(input + ((blocks - 1) * Blake3.BlockSize), lastLength).CopyTo(last);
        last[lastLength..].Clear();
        var lastFlags = flags | (uint)Blake3Flags.ChunkEnd | (blocks == 1 ? (uint)Blake3Flags.ChunkStart : 0);
        return ((uint)lastLength, lastFlags);
    }

    /// <summary>
    /// Extendable output of a root node (spec §2.6): output block i is the root compressed with counter i.
    /// Writes <c>output.Length</c> bytes starting at byte <paramref name="offset"/>.
    /// </summary>
    [SkipLocalsInit]
    public static void RootOutput(Blake3Implementation implementation, uint* cv, byte* block, uint blockLength, uint flags, ulong offset, Span<byte> output)
    {
        var bytes = stackalloc byte[Blake3.BlockSize];
        var blockCounter = offset / Blake3.BlockSize;
        var skip = (int)(offset % Blake3.BlockSize);
        flags |= (uint)Blake3Flags.Root;
        while (!output.IsEmpty)
        {
            if (skip == 0 && output.Length >= Blake3.BlockSize)
            {
                fixed (byte* o = output)
                {
                    Blake3Compression.CompressXof(implementation, cv, block, blockCounter, blockLength, flags, o);
                }

                output = output[Blake3.BlockSize..];
            }
            else
            {
                Blake3Compression.CompressXof(implementation, cv, block, blockCounter, blockLength, flags, bytes);
                var take = Math.Min(Blake3.BlockSize - skip, output.Length);
                new ReadOnlySpan<byte>(bytes + skip, take).CopyTo(output);
                output = output[take..];
                skip = 0;
            }

            blockCounter++;
        }
    }

    /// <summary>
    /// Hashes on several threads. The input is cut into aligned pieces of a power-of-two number of chunks;
    /// each piece is a complete subtree of the one-shot tree (the last one the right edge), so the pieces'
    /// chaining values combine into exactly the one-shot root.
    /// </summary>
    public static void HashParallel(Blake3Implementation implementation, ReadOnlySpan<byte> input, uint* key, uint flags, Span<byte> output, int maxDegreeOfParallelism)
    {
        const long MinPieceChunks = 64; // 64 KiB per task: tens of microseconds of work against a few microseconds of task overhead.
        var chunks = ((long)input.Length + Blake3.ChunkSize - 1) / Blake3.ChunkSize;
        if (maxDegreeOfParallelism == 1 || chunks < 4 * MinPieceChunks)
        {
            Hash(implementation, input, key, flags, 0, output);
            return;
        }

        // About four pieces per thread, so one slow thread does not hold up the rest.
        var wanted = (chunks + (4L * maxDegreeOfParallelism) - 1) / (4L * maxDegreeOfParallelism);
        var pieceChunks = Math.Max(MinPieceChunks, (long)BitOperations.RoundUpToPowerOf2((ulong)wanted));
        var pieceBytes = pieceChunks * Blake3.ChunkSize;
        var pieces = (int)((input.Length + pieceBytes - 1) / pieceBytes);
        var length = (long)input.Length;

        var rented = ArrayPool<byte>.Shared.Rent(pieces * CvSize);
        try
        {
            fixed (byte* p = input)
            fixed (byte* c = rented)
            {
                var inputAddress = (nint)p;
                var cvsAddress = (nint)c;
                var keyAddress = (nint)key;
                Parallel.For(
                    0,
                    pieces,
                    new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism },
                    i =>
                    {
                        var start = i * pieceBytes;
                        SubtreeChainingValue(
                            implementation, (byte*)inputAddress + start, Math.Min(pieceBytes, length - start), (uint*)keyAddress,
                            (ulong)(i * pieceChunks), flags, (uint*)((byte*)cvsAddress + (i * CvSize)));
                    });

                ReduceToTwo(implementation, c, pieces, key, flags);
                var cv = stackalloc uint[8];
                new ReadOnlySpan<uint>(key, 8).CopyTo(new Span<uint>(cv, 8));
                RootOutput(implementation, cv, c, Blake3.BlockSize, flags | (uint)Blake3Flags.Parent, 0, output);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
