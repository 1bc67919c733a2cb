using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Overlay.Crypto;

/// <summary>
/// Compresses up to 16 equally long inputs side by side ("hash_many", BLAKE3 paper §5.3): whole
/// chunks (16 blocks each) or parent nodes (one block each), one input per vector lane.
/// </summary>
internal static unsafe class Blake3Kernel
{
    /// <summary>
    /// Compresses <c>TLanes.Count</c> inputs, input j at <paramref name="input"/> + j·<paramref name="stride"/>,
    /// each <paramref name="blocks"/> blocks long, and writes their 32-byte chaining values one after another
    /// to <paramref name="output"/>. Input j uses counter <paramref name="counter"/> + j when
    /// <paramref name="incrementCounter"/> (chunks), else <paramref name="counter"/> (parents).
    /// </summary>
    [SkipLocalsInit]
    public static void HashMany<TLanes, TVec>(
        byte* input, nint stride, int blocks, uint* key, ulong counter, bool incrementCounter,
        uint flags, uint flagsStart, uint flagsEnd, byte* output)
        where TLanes : IBlake3Lanes<TVec>
        where TVec : unmanaged
    {
        var lanes = TLanes.Count;
        var scratch = stackalloc uint[16 * 2];
        for (var j = 0; j < lanes; j++)
        {
            var c = counter + (incrementCounter ? (ulong)j : 0);
            scratch[j] = (uint)c;
            scratch[16 + j] = (uint)(c >> 32);
        }

        var counterLow = TLanes.Load(scratch);
        var counterHigh = TLanes.Load(scratch + 16);

        var h0 = TLanes.Splat(key[0]);
        var h1 = TLanes.Splat(key[1]);
        var h2 = TLanes.Splat(key[2]);
        var h3 = TLanes.Splat(key[3]);
        var h4 = TLanes.Splat(key[4]);
        var h5 = TLanes.Splat(key[5]);
        var h6 = TLanes.Splat(key[6]);
        var h7 = TLanes.Splat(key[7]);
        var blockLength = TLanes.Splat(Blake3.BlockSize);

        // The transposed message lives in memory (the state takes the vector registers); aligning it to
        // 64 bytes keeps every message load within one cache line.
        var messageBuffer = stackalloc byte[(16 * 64) + 64];
        var message = (byte*)(((nuint)messageBuffer + 63) & ~(nuint)63);
        for (var b = 0; b < blocks; b++)
        {
            TLanes.LoadMessage(input + (b * Blake3.BlockSize), stride, ref Unsafe.AsRef<TVec>(message));
            var blockFlags = flags;
            if (b == 0)
            {
                blockFlags |= flagsStart;
            }

            if (b == blocks - 1)
            {
                blockFlags |= flagsEnd;
            }

            TVec v0 = h0, v1 = h1, v2 = h2, v3 = h3, v4 = h4, v5 = h5, v6 = h6, v7 = h7;
            var v8 = TLanes.Splat(0x6A09E667u);
            var v9 = TLanes.Splat(0xBB67AE85u);
            var v10 = TLanes.Splat(0x3C6EF372u);
            var v11 = TLanes.Splat(0xA54FF53Au);
            var v12 = counterLow;
            var v13 = counterHigh;
            var v14 = blockLength;
            var v15 = TLanes.Splat(blockFlags);
            Rounds<TLanes, TVec>(
                ref v0, ref v1, ref v2, ref v3, ref v4, ref v5, ref v6, ref v7,
                ref v8, ref v9, ref v10, ref v11, ref v12, ref v13, ref v14, ref v15, message);
            h0 = TLanes.Xor(v0, v8);
            h1 = TLanes.Xor(v1, v9);
            h2 = TLanes.Xor(v2, v10);
            h3 = TLanes.Xor(v3, v11);
            h4 = TLanes.Xor(v4, v12);
            h5 = TLanes.Xor(v5, v13);
            h6 = TLanes.Xor(v6, v14);
            h7 = TLanes.Xor(v7, v15);
        }

        // Lane-major vectors back to one chaining value per input: a small scatter next to the rounds.
        var words = stackalloc uint[16 * 8];
        TLanes.Store(h0, words);
        TLanes.Store(h1, words + lanes);
        TLanes.Store(h2, words + (2 * lanes));
        TLanes.Store(h3, words + (3 * lanes));
        TLanes.Store(h4, words + (4 * lanes));
        TLanes.Store(h5, words + (5 * lanes));
        TLanes.Store(h6, words + (6 * lanes));
        TLanes.Store(h7, words + (7 * lanes));
        for (var j = 0; j < lanes; j++)
        {
            var cv = (uint*)(output + (j * 32));
            for (var i = 0; i < 8; i++)
            {
                cv[i] = words[(i * lanes) + j];
            }
        }
    }

    /// <summary>One scalar compression; writes the 16 output words (the first 8 are the new chaining value).</summary>
    [SkipLocalsInit]
    public static void CompressScalar(uint* cv, byte* block, ulong counter, uint blockLength, uint flags, uint* output16)
    {
        var message = stackalloc uint[16];
        ScalarLanes.LoadMessage(block, 0, ref *message);
        uint v0 = cv[0], v1 = cv[1], v2 = cv[2], v3 = cv[3], v4 = cv[4], v5 = cv[5], v6 = cv[6], v7 = cv[7];
        uint v8 = 0x6A09E667u, v9 = 0xBB67AE85u, v10 = 0x3C6EF372u, v11 = 0xA54FF53Au;
        uint v12 = (uint)counter, v13 = (uint)(counter >> 32), v14 = blockLength, v15 = flags;
        Rounds<ScalarLanes, uint>(
            ref v0, ref v1, ref v2, ref v3, ref v4, ref v5, ref v6, ref v7,
            ref v8, ref v9, ref v10, ref v11, ref v12, ref v13, ref v14, ref v15, (byte*)message);
        output16[8] = v8 ^ cv[0];
        output16[9] = v9 ^ cv[1];
        output16[10] = v10 ^ cv[2];
        output16[11] = v11 ^ cv[3];
        output16[12] = v12 ^ cv[4];
        output16[13] = v13 ^ cv[5];
        output16[14] = v14 ^ cv[6];
        output16[15] = v15 ^ cv[7];
        output16[0] = v0 ^ v8;
        output16[1] = v1 ^ v9;
        output16[2] = v2 ^ v10;
        output16[3] = v3 ^ v11;
        output16[4] = v4 ^ v12;
        output16[5] = v5 ^ v13;
        output16[6] = v6 ^ v14;
        output16[7] = v7 ^ v15;
    }

    // The seven rounds. Round r reads message word Schedule[16r + k] where the spec permutes the
    // message (§2.2), so no permutation runs; the tables hold byte offsets for each vector width so
    // a message operand costs one small load. The loop is deliberately not unrolled: fully inlined,
    // the 56 G steps create more temporaries than the JIT tracks in registers, and the state spills.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Rounds<TLanes, TVec>(
        ref TVec v0, ref TVec v1, ref TVec v2, ref TVec v3, ref TVec v4, ref TVec v5, ref TVec v6, ref TVec v7,
        ref TVec v8, ref TVec v9, ref TVec v10, ref TVec v11, ref TVec v12, ref TVec v13, ref TVec v14, ref TVec v15,
        byte* message)
        where TLanes : IBlake3Lanes<TVec>
        where TVec : unmanaged
    {
        ref var s = ref MemoryMarshal.GetReference(
            sizeof(TVec) == 64 ? Schedule64 : sizeof(TVec) == 32 ? Schedule32 : sizeof(TVec) == 16 ? Schedule16 : Schedule4);
        for (var r = 0; r < 7; r++, s = ref Unsafe.Add(ref s, 16))
        {
            G<TLanes, TVec>(ref v0, ref v4, ref v8, ref v12, *(TVec*)(message + Unsafe.Add(ref s, 0)), *(TVec*)(message + Unsafe.Add(ref s, 1)));
            G<TLanes, TVec>(ref v1, ref v5, ref v9, ref v13, *(TVec*)(message + Unsafe.Add(ref s, 2)), *(TVec*)(message + Unsafe.Add(ref s, 3)));
            G<TLanes, TVec>(ref v2, ref v6, ref v10, ref v14, *(TVec*)(message + Unsafe.Add(ref s, 4)), *(TVec*)(message + Unsafe.Add(ref s, 5)));
            G<TLanes, TVec>(ref v3, ref v7, ref v11, ref v15, *(TVec*)(message + Unsafe.Add(ref s, 6)), *(TVec*)(message + Unsafe.Add(ref s, 7)));
            G<TLanes, TVec>(ref v0, ref v5, ref v10, ref v15, *(TVec*)(message + Unsafe.Add(ref s, 8)), *(TVec*)(message + Unsafe.Add(ref s, 9)));
            G<TLanes, TVec>(ref v1, ref v6, ref v11, ref v12, *(TVec*)(message + Unsafe.Add(ref s, 10)), *(TVec*)(message + Unsafe.Add(ref s, 11)));
            G<TLanes, TVec>(ref v2, ref v7, ref v8, ref v13, *(TVec*)(message + Unsafe.Add(ref s, 12)), *(TVec*)(message + Unsafe.Add(ref s, 13)));
            G<TLanes, TVec>(ref v3, ref v4, ref v9, ref v14, *(TVec*)(message + Unsafe.Add(ref s, 14)), *(TVec*)(message + Unsafe.Add(ref s, 15)));
        }
    }

    // Rows are MSG_PERMUTATION applied 0..6 times (BLAKE3 spec §2.2), as byte offsets of vectors of 64, 32, 16 and 4 bytes.
    private static ReadOnlySpan<ushort> Schedule64 =>
    [
        0, 64, 128, 192, 256, 320, 384, 448, 512, 576, 640, 704, 768, 832, 896, 960,
        128, 384, 192, 640, 448, 0, 256, 832, 64, 704, 768, 320, 576, 896, 960, 512,
        192, 256, 640, 768, 832, 128, 448, 896, 384, 320, 576, 0, 704, 960, 512, 64,
        640, 448, 768, 576, 896, 192, 832, 960, 256, 0, 704, 128, 320, 512, 64, 384,
        768, 832, 576, 704, 960, 640, 896, 512, 448, 128, 320, 192, 0, 64, 384, 256,
        576, 896, 704, 320, 512, 768, 960, 64, 832, 192, 0, 640, 128, 384, 256, 448,
        704, 960, 320, 0, 64, 576, 512, 384, 896, 640, 128, 768, 192, 256, 448, 832,
    ];

    private static ReadOnlySpan<ushort> Schedule32 =>
    [
        0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448, 480,
        64, 192, 96, 320, 224, 0, 128, 416, 32, 352, 384, 160, 288, 448, 480, 256,
        96, 128, 320, 384, 416, 64, 224, 448, 192, 160, 288, 0, 352, 480, 256, 32,
        320, 224, 384, 288, 448, 96, 416, 480, 128, 0, 352, 64, 160, 256, 32, 192,
        384, 416, 288, 352, 480, 320, 448, 256, 224, 64, 160, 96, 0, 32, 192, 128,
        288, 448, 352, 160, 256, 384, 480, 32, 416, 96, 0, 320, 64, 192, 128, 224,
        352, 480, 160, 0, 32, 288, 256, 192, 448, 320, 64, 384, 96, 128, 224, 416,
    ];

    private static ReadOnlySpan<ushort> Schedule16 =>
    [
        0, 16, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240,
        32, 96, 48, 160, 112, 0, 64, 208, 16, 176, 192, 80, 144, 224, 240, 128,
        48, 64, 160, 192, 208, 32, 112, 224, 96, 80, 144, 0, 176, 240, 128, 16,
        160, 112, 192, 144, 224, 48, 208, 240, 64, 0, 176, 32, 80, 128, 16, 96,
        192, 208, 144, 176, 240, 160, 224, 128, 112, 32, 80, 48, 0, 16, 96, 64,
        144, 224, 176, 80, 128, 192, 240, 16, 208, 48, 0, 160, 32, 96, 64, 112,
        176, 240, 80, 0, 16, 144, 128, 96, 224, 160, 32, 192, 48, 64, 112, 208,
    ];

    private static ReadOnlySpan<ushort> Schedule4 =>
    [
        0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60,
        8, 24, 12, 40, 28, 0, 16, 52, 4, 44, 48, 20, 36, 56, 60, 32,
        12, 16, 40, 48, 52, 8, 28, 56, 24, 20, 36, 0, 44, 60, 32, 4,
        40, 28, 48, 36, 56, 12, 52, 60, 16, 0, 44, 8, 20, 32, 4, 24,
        48, 52, 36, 44, 60, 40, 56, 32, 28, 8, 20, 12, 0, 4, 24, 16,
        36, 56, 44, 20, 32, 48, 60, 4, 52, 12, 0, 40, 8, 24, 16, 28,
        44, 60, 20, 0, 4, 36, 32, 24, 56, 40, 8, 48, 12, 16, 28, 52,
    ];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void G<TLanes, TVec>(ref TVec a, ref TVec b, ref TVec c, ref TVec d, TVec x, TVec y)
        where TLanes : IBlake3Lanes<TVec>
        where TVec : unmanaged
    {
        a = TLanes.Add(TLanes.Add(a, b), x);
        d = TLanes.RotateRight16(TLanes.Xor(d, a));
        c = TLanes.Add(c, d);
        b = TLanes.RotateRight12(TLanes.Xor(b, c));
        a = TLanes.Add(TLanes.Add(a, b), y);
        d = TLanes.RotateRight8(TLanes.Xor(d, a));
        c = TLanes.Add(c, d);
        b = TLanes.RotateRight7(TLanes.Xor(b, c));
    }
}
