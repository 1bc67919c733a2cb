using System.Runtime.CompilerServices;
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

        Message16<TVec> message = default;
        ref var m = ref Unsafe.As<Message16<TVec>, TVec>(ref message);
        for (var b = 0; b < blocks; b++)
        {
            TLanes.LoadMessage(input + (b * Blake3.BlockSize), stride, ref m);
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
                ref v8, ref v9, ref v10, ref v11, ref v12, ref v13, ref v14, ref v15, ref m);
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
        Message16<uint> message = default;
        ref var m = ref Unsafe.As<Message16<uint>, uint>(ref message);
        ScalarLanes.LoadMessage(block, 0, ref m);
        uint v0 = cv[0], v1 = cv[1], v2 = cv[2], v3 = cv[3], v4 = cv[4], v5 = cv[5], v6 = cv[6], v7 = cv[7];
        uint v8 = 0x6A09E667u, v9 = 0xBB67AE85u, v10 = 0x3C6EF372u, v11 = 0xA54FF53Au;
        uint v12 = (uint)counter, v13 = (uint)(counter >> 32), v14 = blockLength, v15 = flags;
        Rounds<ScalarLanes, uint>(
            ref v0, ref v1, ref v2, ref v3, ref v4, ref v5, ref v6, ref v7,
            ref v8, ref v9, ref v10, ref v11, ref v12, ref v13, ref v14, ref v15, ref m);
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

    // The seven rounds, unrolled, with the message schedule (spec §2.2: MSG_PERMUTATION applied
    // r times) folded into constant indices so no permutation runs at all.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Rounds<TLanes, TVec>(
        ref TVec v0, ref TVec v1, ref TVec v2, ref TVec v3, ref TVec v4, ref TVec v5, ref TVec v6, ref TVec v7,
        ref TVec v8, ref TVec v9, ref TVec v10, ref TVec v11, ref TVec v12, ref TVec v13, ref TVec v14, ref TVec v15,
        ref TVec m)
        where TLanes : IBlake3Lanes<TVec>
        where TVec : unmanaged
    {
        // Round 0.
        G<TLanes, TVec>(ref v0, ref v4, ref v8, ref v12, Unsafe.Add(ref m, 0), Unsafe.Add(ref m, 1));
        G<TLanes, TVec>(ref v1, ref v5, ref v9, ref v13, Unsafe.Add(ref m, 2), Unsafe.Add(ref m, 3));
        G<TLanes, TVec>(ref v2, ref v6, ref v10, ref v14, Unsafe.Add(ref m, 4), Unsafe.Add(ref m, 5));
        G<TLanes, TVec>(ref v3, ref v7, ref v11, ref v15, Unsafe.Add(ref m, 6), Unsafe.Add(ref m, 7));
        G<TLanes, TVec>(ref v0, ref v5, ref v10, ref v15, Unsafe.Add(ref m, 8), Unsafe.Add(ref m, 9));
        G<TLanes, TVec>(ref v1, ref v6, ref v11, ref v12, Unsafe.Add(ref m, 10), Unsafe.Add(ref m, 11));
        G<TLanes, TVec>(ref v2, ref v7, ref v8, ref v13, Unsafe.Add(ref m, 12), Unsafe.Add(ref m, 13));
        G<TLanes, TVec>(ref v3, ref v4, ref v9, ref v14, Unsafe.Add(ref m, 14), Unsafe.Add(ref m, 15));
        // Round 1.
        G<TLanes, TVec>(ref v0, ref v4, ref v8, ref v12, Unsafe.Add(ref m, 2), Unsafe.Add(ref m, 6));
        G<TLanes, TVec>(ref v1, ref v5, ref v9, ref v13, Unsafe.Add(ref m, 3), Unsafe.Add(ref m, 10));
        G<TLanes, TVec>(ref v2, ref v6, ref v10, ref v14, Unsafe.Add(ref m, 7), Unsafe.Add(ref m, 0));
        G<TLanes, TVec>(ref v3, ref v7, ref v11, ref v15, Unsafe.Add(ref m, 4), Unsafe.Add(ref m, 13));
        G<TLanes, TVec>(ref v0, ref v5, ref v10, ref v15, Unsafe.Add(ref m, 1), Unsafe.Add(ref m, 11));
        G<TLanes, TVec>(ref v1, ref v6, ref v11, ref v12, Unsafe.Add(ref m, 12), Unsafe.Add(ref m, 5));
        G<TLanes, TVec>(ref v2, ref v7, ref v8, ref v13, Unsafe.Add(ref m, 9), Unsafe.Add(ref m, 14));
        G<TLanes, TVec>(ref v3, ref v4, ref v9, ref v14, Unsafe.Add(ref m, 15), Unsafe.Add(ref m, 8));
        // Round 2.
        G<TLanes, TVec>(ref v0, ref v4, ref v8, ref v12, Unsafe.Add(ref m, 3), Unsafe.Add(ref m, 4));
        G<TLanes, TVec>(ref v1, ref v5, ref v9, ref v13, Unsafe.Add(ref m, 10), Unsafe.Add(ref m, 12));
        G<TLanes, TVec>(ref v2, ref v6, ref v10, ref v14, Unsafe.Add(ref m, 13), Unsafe.Add(ref m, 2));
        G<TLanes, TVec>(ref v3, ref v7, ref v11, ref v15, Unsafe.Add(ref m, 7), Unsafe.Add(ref m, 14));
        G<TLanes, TVec>(ref v0, ref v5, ref v10, ref v15, Unsafe.Add(ref m, 6), Unsafe.Add(ref m, 5));
        G<TLanes, TVec>(ref v1, ref v6, ref v11, ref v12, Unsafe.Add(ref m, 9), Unsafe.Add(ref m, 0));
        G<TLanes, TVec>(ref v2, ref v7, ref v8, ref v13, Unsafe.Add(ref m, 11), Unsafe.Add(ref m, 15));
        G<TLanes, TVec>(ref v3, ref v4, ref v9, ref v14, Unsafe.Add(ref m, 8), Unsafe.Add(ref m, 1));
        // Round 3.
        G<TLanes, TVec>(ref v0, ref v4, ref v8, ref v12, Unsafe.Add(ref m, 10), Unsafe.Add(ref m, 7));
        G<TLanes, TVec>(ref v1, ref v5, ref v9, ref v13, Unsafe.Add(ref m, 12), Unsafe.Add(ref m, 9));
        G<TLanes, TVec>(ref v2, ref v6, ref v10, ref v14, Unsafe.Add(ref m, 14), Unsafe.Add(ref m, 3));
        G<TLanes, TVec>(ref v3, ref v7, ref v11, ref v15, Unsafe.Add(ref m, 13), Unsafe.Add(ref m, 15));
        G<TLanes, TVec>(ref v0, ref v5, ref v10, ref v15, Unsafe.Add(ref m, 4), Unsafe.Add(ref m, 0));
        G<TLanes, TVec>(ref v1, ref v6, ref v11, ref v12, Unsafe.Add(ref m, 11), Unsafe.Add(ref m, 2));
        G<TLanes, TVec>(ref v2, ref v7, ref v8, ref v13, Unsafe.Add(ref m, 5), Unsafe.Add(ref m, 8));
        G<TLanes, TVec>(ref v3, ref v4, ref v9, ref v14, Unsafe.Add(ref m, 1), Unsafe.Add(ref m, 6));
        // Round 4.
        G<TLanes, TVec>(ref v0, ref v4, ref v8, ref v12, Unsafe.Add(ref m, 12), Unsafe.Add(ref m, 13));
        G<TLanes, TVec>(ref v1, ref v5, ref v9, ref v13, Unsafe.Add(ref m, 9), Unsafe.Add(ref m, 11));
        G<TLanes, TVec>(ref v2, ref v6, ref v10, ref v14, Unsafe.Add(ref m, 15), Unsafe.Add(ref m, 10));
        G<TLanes, TVec>(ref v3, ref v7, ref v11, ref v15, Unsafe.Add(ref m, 14), Unsafe.Add(ref m, 8));
        G<TLanes, TVec>(ref v0, ref v5, ref v10, ref v15, Unsafe.Add(ref m, 7), Unsafe.Add(ref m, 2));
        G<TLanes, TVec>(ref v1, ref v6, ref v11, ref v12, Unsafe.Add(ref m, 5), Unsafe.Add(ref m, 3));
        G<TLanes, TVec>(ref v2, ref v7, ref v8, ref v13, Unsafe.Add(ref m, 0), Unsafe.Add(ref m, 1));
        G<TLanes, TVec>(ref v3, ref v4, ref v9, ref v14, Unsafe.Add(ref m, 6), Unsafe.Add(ref m, 4));
        // Round 5.
        G<TLanes, TVec>(ref v0, ref v4, ref v8, ref v12, Unsafe.Add(ref m, 9), Unsafe.Add(ref m, 14));
        G<TLanes, TVec>(ref v1, ref v5, ref v9, ref v13, Unsafe.Add(ref m, 11), Unsafe.Add(ref m, 5));
        G<TLanes, TVec>(ref v2, ref v6, ref v10, ref v14, Unsafe.Add(ref m, 8), Unsafe.Add(ref m, 12));
        G<TLanes, TVec>(ref v3, ref v7, ref v11, ref v15, Unsafe.Add(ref m, 15), Unsafe.Add(ref m, 1));
        G<TLanes, TVec>(ref v0, ref v5, ref v10, ref v15, Unsafe.Add(ref m, 13), Unsafe.Add(ref m, 3));
        G<TLanes, TVec>(ref v1, ref v6, ref v11, ref v12, Unsafe.Add(ref m, 0), Unsafe.Add(ref m, 10));
        G<TLanes, TVec>(ref v2, ref v7, ref v8, ref v13, Unsafe.Add(ref m, 2), Unsafe.Add(ref m, 6));
        G<TLanes, TVec>(ref v3, ref v4, ref v9, ref v14, Unsafe.Add(ref m, 4), Unsafe.Add(ref m, 7));
        // Round 6.
        G<TLanes, TVec>(ref v0, ref v4, ref v8, ref v12, Unsafe.Add(ref m, 11), Unsafe.Add(ref m, 15));
        G<TLanes, TVec>(ref v1, ref v5, ref v9, ref v13, Unsafe.Add(ref m, 5), Unsafe.Add(ref m, 0));
        G<TLanes, TVec>(ref v2, ref v6, ref v10, ref v14, Unsafe.Add(ref m, 1), Unsafe.Add(ref m, 9));
        G<TLanes, TVec>(ref v3, ref v7, ref v11, ref v15, Unsafe.Add(ref m, 8), Unsafe.Add(ref m, 6));
        G<TLanes, TVec>(ref v0, ref v5, ref v10, ref v15, Unsafe.Add(ref m, 14), Unsafe.Add(ref m, 10));
        G<TLanes, TVec>(ref v1, ref v6, ref v11, ref v12, Unsafe.Add(ref m, 2), Unsafe.Add(ref m, 12));
        G<TLanes, TVec>(ref v2, ref v7, ref v8, ref v13, Unsafe.Add(ref m, 3), Unsafe.Add(ref m, 4));
        G<TLanes, TVec>(ref v3, ref v4, ref v9, ref v14, Unsafe.Add(ref m, 7), Unsafe.Add(ref m, 13));
    }

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

    [InlineArray(16)]
    private struct Message16<T>
    {
        private T _element;
    }
}
