using System.Runtime.CompilerServices;
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

    // Each round's message vectors come from one two-source word permutation of the block (vpermt2d):
    // the low half holds the first G input of the four columns, the high half the second.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RoundsPermuted(ref Vector128<uint> a, ref Vector128<uint> b, ref Vector128<uint> c, ref Vector128<uint> d, byte* block)
    {
        var lo = Vector256.Load((uint*)block);
        var hi = Vector256.Load((uint*)(block + 32));
        Vector256<uint> t;
        // Round 0.
        t = Avx512F.VL.PermuteVar8x32x2(lo, Vector256.Create(0u, 2u, 4u, 6u, 1u, 3u, 5u, 7u), hi);
        G(ref a, ref b, ref c, ref d, t.GetLower(), t.GetUpper());
        Diagonalize(ref b, ref c, ref d);
        t = Avx512F.VL.PermuteVar8x32x2(lo, Vector256.Create(8u, 10u, 12u, 14u, 9u, 11u, 13u, 15u), hi);
        G(ref a, ref b, ref c, ref d, t.GetLower(), t.GetUpper());
        Undiagonalize(ref b, ref c, ref d);
        // Round 1.
        t = Avx512F.VL.PermuteVar8x32x2(lo, Vector256.Create(2u, 3u, 7u, 4u, 6u, 10u, 0u, 13u), hi);
        G(ref a, ref b, ref c, ref d, t.GetLower(), t.GetUpper());
        Diagonalize(ref b, ref c, ref d);
        t = Avx512F.VL.PermuteVar8x32x2(lo, Vector256.Create(1u, 12u, 9u, 15u, 11u, 5u, 14u, 8u), hi);
        G(ref a, ref b, ref c, ref d, t.GetLower(), t.GetUpper());
        Undiagonalize(ref b, ref c, ref d);
        // Round 2.
        t = Avx512F.VL.PermuteVar8x32x2(lo, Vector256.Create(3u, 10u, 13u, 7u, 4u, 12u, 2u, 14u), hi);
        G(ref a, ref b, ref c, ref d, t.GetLower(), t.GetUpper());
        Diagonalize(ref b, ref c, ref d);
        t = Avx512F.VL.PermuteVar8x32x2(lo, Vector256.Create(6u, 9u, 11u, 8u, 5u, 0u, 15u, 1u), hi);
        G(ref a, ref b, ref c, ref d, t.GetLower(), t.GetUpper());
        Undiagonalize(ref b, ref c, ref d);
        // Round 3.
        t = Avx512F.VL.PermuteVar8x32x2(lo, Vector256.Create(10u, 12u, 14u, 13u, 7u, 9u, 3u, 15u), hi);
        G(ref a, ref b, ref c, ref d, t.GetLower(), t.GetUpper());
        Diagonalize(ref b, ref c, ref d);
        t = Avx512F.VL.PermuteVar8x32x2(lo, Vector256.Create(4u, 11u, 5u, 1u, 0u, 2u, 8u, 6u), hi);
        G(ref a, ref b, ref c, ref d, t.GetLower(), t.GetUpper());
        Undiagonalize(ref b, ref c, ref d);
        // Round 4.
        t = Avx512F.VL.PermuteVar8x32x2(lo, Vector256.Create(12u, 9u, 15u, 14u, 13u, 11u, 10u, 8u), hi);
        G(ref a, ref b, ref c, ref d, t.GetLower(), t.GetUpper());
        Diagonalize(ref b, ref c, ref d);
        t = Avx512F.VL.PermuteVar8x32x2(lo, Vector256.Create(7u, 5u, 0u, 6u, 2u, 3u, 1u, 4u), hi);
        G(ref a, ref b, ref c, ref d, t.GetLower(), t.GetUpper());
        Undiagonalize(ref b, ref c, ref d);
        // Round 5.
        t = Avx512F.VL.PermuteVar8x32x2(lo, Vector256.Create(9u, 11u, 8u, 15u, 14u, 5u, 12u, 1u), hi);
        G(ref a, ref b, ref c, ref d, t.GetLower(), t.GetUpper());
        Diagonalize(ref b, ref c, ref d);
        t = Avx512F.VL.PermuteVar8x32x2(lo, Vector256.Create(13u, 0u, 2u, 4u, 3u, 10u, 6u, 7u), hi);
        G(ref a, ref b, ref c, ref d, t.GetLower(), t.GetUpper());
        Undiagonalize(ref b, ref c, ref d);
        // Round 6.
        t = Avx512F.VL.PermuteVar8x32x2(lo, Vector256.Create(11u, 5u, 1u, 8u, 15u, 0u, 9u, 6u), hi);
        G(ref a, ref b, ref c, ref d, t.GetLower(), t.GetUpper());
        Diagonalize(ref b, ref c, ref d);
        t = Avx512F.VL.PermuteVar8x32x2(lo, Vector256.Create(14u, 2u, 3u, 7u, 10u, 12u, 4u, 13u), hi);
        G(ref a, ref b, ref c, ref d, t.GetLower(), t.GetUpper());
        Undiagonalize(ref b, ref c, ref d);
    }

    // Without a two-source permutation, message vectors are assembled word by word.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RoundsGathered(ref Vector128<uint> a, ref Vector128<uint> b, ref Vector128<uint> c, ref Vector128<uint> d, uint* m)
    {
        // Round 0.
        G(ref a, ref b, ref c, ref d, Vector128.Create(m[0], m[2], m[4], m[6]), Vector128.Create(m[1], m[3], m[5], m[7]));
        Diagonalize(ref b, ref c, ref d);
        G(ref a, ref b, ref c, ref d, Vector128.Create(m[8], m[10], m[12], m[14]), Vector128.Create(m[9], m[11], m[13], m[15]));
        Undiagonalize(ref b, ref c, ref d);
        // Round 1.
        G(ref a, ref b, ref c, ref d, Vector128.Create(m[2], m[3], m[7], m[4]), Vector128.Create(m[6], m[10], m[0], m[13]));
        Diagonalize(ref b, ref c, ref d);
        G(ref a, ref b, ref c, ref d, Vector128.Create(m[1], m[12], m[9], m[15]), Vector128.Create(m[11], m[5], m[14], m[8]));
        Undiagonalize(ref b, ref c, ref d);
        // Round 2.
        G(ref a, ref b, ref c, ref d, Vector128.Create(m[3], m[10], m[13], m[7]), Vector128.Create(m[4], m[12], m[2], m[14]));
        Diagonalize(ref b, ref c, ref d);
        G(ref a, ref b, ref c, ref d, Vector128.Create(m[6], m[9], m[11], m[8]), Vector128.Create(m[5], m[0], m[15], m[1]));
        Undiagonalize(ref b, ref c, ref d);
        // Round 3.
        G(ref a, ref b, ref c, ref d, Vector128.Create(m[10], m[12], m[14], m[13]), Vector128.Create(m[7], m[9], m[3], m[15]));
        Diagonalize(ref b, ref c, ref d);
        G(ref a, ref b, ref c, ref d, Vector128.Create(m[4], m[11], m[5], m[1]), Vector128.Create(m[0], m[2], m[8], m[6]));
        Undiagonalize(ref b, ref c, ref d);
        // Round 4.
        G(ref a, ref b, ref c, ref d, Vector128.Create(m[12], m[9], m[15], m[14]), Vector128.Create(m[13], m[11], m[10], m[8]));
        Diagonalize(ref b, ref c, ref d);
        G(ref a, ref b, ref c, ref d, Vector128.Create(m[7], m[5], m[0], m[6]), Vector128.Create(m[2], m[3], m[1], m[4]));
        Undiagonalize(ref b, ref c, ref d);
        // Round 5.
        G(ref a, ref b, ref c, ref d, Vector128.Create(m[9], m[11], m[8], m[15]), Vector128.Create(m[14], m[5], m[12], m[1]));
        Diagonalize(ref b, ref c, ref d);
        G(ref a, ref b, ref c, ref d, Vector128.Create(m[13], m[0], m[2], m[4]), Vector128.Create(m[3], m[10], m[6], m[7]));
        Undiagonalize(ref b, ref c, ref d);
        // Round 6.
        G(ref a, ref b, ref c, ref d, Vector128.Create(m[11], m[5], m[1], m[8]), Vector128.Create(m[15], m[0], m[9], m[6]));
        Diagonalize(ref b, ref c, ref d);
        G(ref a, ref b, ref c, ref d, Vector128.Create(m[14], m[2], m[3], m[7]), Vector128.Create(m[10], m[12], m[4], m[13]));
        Undiagonalize(ref b, ref c, ref d);
    }

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
