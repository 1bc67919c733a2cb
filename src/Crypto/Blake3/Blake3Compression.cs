using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Overlay.Crypto;

/// <summary>
/// One compression of one 64-byte block: the chunk blocks that cannot be batched across lanes, the
/// root node and every block of extended output. The vector form keeps the state as four row vectors
/// and turns the diagonal step into word rotations of three rows.
/// </summary>
internal static unsafe class Blake3Compression
{
    internal static ReadOnlySpan<uint> IV =>
    [
        0x6A09E667u, 0xBB67AE85u, 0x3C6EF372u, 0xA54FF53Au, 0x510E527Fu, 0x9B05688Cu, 0x1F83D9ABu, 0x5BE0CD19u,
    ];

    /// <summary>Compresses <paramref name="block"/> and replaces the 8-word <paramref name="cv"/> with the result.</summary>
    [SkipLocalsInit]
    public static void CompressInPlace(Blake3Implementation implementation, uint* cv, byte* block, ulong counter, uint blockLength, uint flags)
    {
        if (implementation != Blake3Implementation.Scalar && BitConverter.IsLittleEndian)
        {
            CompressRows(cv, block, counter, blockLength, flags, out var a, out var b, out var c, out var d);
            (a ^ c).Store(cv);
            (b ^ d).Store(cv + 4);
            return;
        }

        var words = stackalloc uint[16];
        Blake3Kernel.CompressScalar(cv, block, counter, blockLength, flags, words);
        new ReadOnlySpan<uint>(words, 8).CopyTo(new Span<uint>(cv, 8));
    }

    /// <summary>Compresses <paramref name="block"/> and writes all 64 output bytes (extended output, spec §2.6).</summary>
    [SkipLocalsInit]
    public static void CompressXof(Blake3Implementation implementation, uint* cv, byte* block, ulong counter, uint blockLength, uint flags, byte* output)
    {
        if (implementation != Blake3Implementation.Scalar && BitConverter.IsLittleEndian)
        {
            CompressRows(cv, block, counter, blockLength, flags, out var a, out var b, out var c, out var d);
            (a ^ c).Store((uint*)output);
            (b ^ d).Store((uint*)(output + 16));
            (c ^ Vector128.Load(cv)).Store((uint*)(output + 32));
            (d ^ Vector128.Load(cv + 4)).Store((uint*)(output + 48));
            return;
        }

        var words = stackalloc uint[16];
        Blake3Kernel.CompressScalar(cv, block, counter, blockLength, flags, words);
        Blake3Hasher.StoreWords(new ReadOnlySpan<uint>(words, 16), new Span<byte>(output, Blake3.BlockSize));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CompressRows(
        uint* cv, byte* block, ulong counter, uint blockLength, uint flags,
        out Vector128<uint> a, out Vector128<uint> b, out Vector128<uint> c, out Vector128<uint> d)
    {
        a = Vector128.Load(cv);
        b = Vector128.Load(cv + 4);
        c = Vector128.Create(0x6A09E667u, 0xBB67AE85u, 0x3C6EF372u, 0xA54FF53Au);
        d = Vector128.Create((uint)counter, (uint)(counter >> 32), blockLength, flags);
        if (Avx512F.VL.IsSupported)
        {
            RoundsPermuted(ref a, ref b, ref c, ref d, block);
        }
        else
        {
            RoundsGathered(ref a, ref b, ref c, ref d, (uint*)block);
        }
    }

    // The message schedule as word indices into the block: per round, the first and second G inputs of
    // the column step (eight words), then those of the diagonal step.
    private static ReadOnlySpan<uint> Schedule =>
    [
        0u, 2, 4, 6, 1, 3, 5, 7,
        8u, 10, 12, 14, 9, 11, 13, 15,
        2u, 3, 7, 4, 6, 10, 0, 13,
        1u, 12, 9, 15, 11, 5, 14, 8,
        3u, 10, 13, 7, 4, 12, 2, 14,
        6u, 9, 11, 8, 5, 0, 15, 1,
        10u, 12, 14, 13, 7, 9, 3, 15,
        4u, 11, 5, 1, 0, 2, 8, 6,
        12u, 9, 15, 14, 13, 11, 10, 8,
        7u, 5, 0, 6, 2, 3, 1, 4,
        9u, 11, 8, 15, 14, 5, 12, 1,
        13u, 0, 2, 4, 3, 10, 6, 7,
        11u, 5, 1, 8, 15, 0, 9, 6,
        14u, 2, 3, 7, 10, 12, 4, 13,
    ];

    // Each round's message vectors come from one two-source word permutation of the block (vpermt2d):
    // the low half holds the first G input of the four columns, the high half the second. A loop, not
    // fourteen written-out steps, so that every G is inlined.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RoundsPermuted(ref Vector128<uint> a, ref Vector128<uint> b, ref Vector128<uint> c, ref Vector128<uint> d, byte* block)
    {
        var lo = Vector256.Load((uint*)block);
        var hi = Vector256.Load((uint*)(block + 32));
        ref var schedule = ref MemoryMarshal.GetReference(Schedule);
        for (nuint i = 0; i < 14 * 8; i += 16)
        {
            var t = Avx512F.VL.PermuteVar8x32x2(lo, Vector256.LoadUnsafe(ref schedule, i), hi);
            G(ref a, ref b, ref c, ref d, t.GetLower(), t.GetUpper());
            Diagonalize(ref b, ref c, ref d);
            t = Avx512F.VL.PermuteVar8x32x2(lo, Vector256.LoadUnsafe(ref schedule, i + 8), hi);
            G(ref a, ref b, ref c, ref d, t.GetLower(), t.GetUpper());
            Undiagonalize(ref b, ref c, ref d);
        }
    }

    // Without a two-source permutation, message vectors are assembled word by word from the same schedule.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RoundsGathered(ref Vector128<uint> a, ref Vector128<uint> b, ref Vector128<uint> c, ref Vector128<uint> d, uint* m)
    {
        var schedule = Schedule;
        for (var i = 0; i < 14 * 8; i += 16)
        {
            G(ref a, ref b, ref c, ref d, Gather(m, schedule.Slice(i, 4)), Gather(m, schedule.Slice(i + 4, 4)));
            Diagonalize(ref b, ref c, ref d);
            G(ref a, ref b, ref c, ref d, Gather(m, schedule.Slice(i + 8, 4)), Gather(m, schedule.Slice(i + 12, 4)));
            Undiagonalize(ref b, ref c, ref d);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<uint> Gather(uint* m, ReadOnlySpan<uint> indices) =>
        Vector128.Create(m[indices[0]], m[indices[1]], m[indices[2]], m[indices[3]]);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void G(ref Vector128<uint> a, ref Vector128<uint> b, ref Vector128<uint> c, ref Vector128<uint> d, Vector128<uint> x, Vector128<uint> y)
    {
        a += b + x;
        d = Blake3Rotate.Right16(d ^ a);
        c += d;
        b = Blake3Rotate.Right(b ^ c, 12);
        a += b + y;
        d = Blake3Rotate.Right8(d ^ a);
        c += d;
        b = Blake3Rotate.Right(b ^ c, 7);
    }

    // Rotating rows b, c, d by 1, 2, 3 words lines the diagonals up as columns (spec §2.2, "diagonal step").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Diagonalize(ref Vector128<uint> b, ref Vector128<uint> c, ref Vector128<uint> d)
    {
        b = Vector128.Shuffle(b, Vector128.Create(1u, 2, 3, 0));
        c = Vector128.Shuffle(c, Vector128.Create(2u, 3, 0, 1));
        d = Vector128.Shuffle(d, Vector128.Create(3u, 0, 1, 2));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Undiagonalize(ref Vector128<uint> b, ref Vector128<uint> c, ref Vector128<uint> d)
    {
        b = Vector128.Shuffle(b, Vector128.Create(3u, 0, 1, 2));
        c = Vector128.Shuffle(c, Vector128.Create(2u, 3, 0, 1));
        d = Vector128.Shuffle(d, Vector128.Create(1u, 2, 3, 0));
    }
}
