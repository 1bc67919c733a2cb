using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Overlay.Crypto;

/// <summary>The portable BLAKE3 compression function: one 64-byte block at a time.</summary>
internal static class Blake3Compression
{
    internal static ReadOnlySpan<uint> IV =>
    [
        0x6A09E667u, 0xBB67AE85u, 0x3C6EF372u, 0xA54FF53Au, 0x510E527Fu, 0x9B05688Cu, 0x1F83D9ABu, 0x5BE0CD19u,
    ];

    /// <summary>Compresses <paramref name="block"/> and writes the 16 state words (for XOF output).</summary>
    public static void Compress(ReadOnlySpan<uint> cv, ReadOnlySpan<byte> block, ulong counter, uint blockLength, uint flags, Span<uint> output)
    {
        Span<uint> m = stackalloc uint[16];
        for (var i = 0; i < 16; i++)
        {
            m[i] = BinaryPrimitives.ReadUInt32LittleEndian(block.Slice(i * 4, 4));
        }

        uint s0 = cv[0], s1 = cv[1], s2 = cv[2], s3 = cv[3], s4 = cv[4], s5 = cv[5], s6 = cv[6], s7 = cv[7];
        uint s8 = IV[0], s9 = IV[1], s10 = IV[2], s11 = IV[3];
        uint s12 = (uint)counter, s13 = (uint)(counter >> 32), s14 = blockLength, s15 = flags;

        // The message schedule: round r reads word Schedule[r][i]; precomputing it replaces the
        // permutation step of the spec with indexing.
        ReadOnlySpan<byte> schedule = Schedule;
        for (var r = 0; r < 7; r++)
        {
            var p = schedule.Slice(r * 16, 16);
            G(ref s0, ref s4, ref s8, ref s12, m[p[0]], m[p[1]]);
            G(ref s1, ref s5, ref s9, ref s13, m[p[2]], m[p[3]]);
            G(ref s2, ref s6, ref s10, ref s14, m[p[4]], m[p[5]]);
            G(ref s3, ref s7, ref s11, ref s15, m[p[6]], m[p[7]]);
            G(ref s0, ref s5, ref s10, ref s15, m[p[8]], m[p[9]]);
            G(ref s1, ref s6, ref s11, ref s12, m[p[10]], m[p[11]]);
            G(ref s2, ref s7, ref s8, ref s13, m[p[12]], m[p[13]]);
            G(ref s3, ref s4, ref s9, ref s14, m[p[14]], m[p[15]]);
        }

        output[0] = s0 ^ s8; output[1] = s1 ^ s9; output[2] = s2 ^ s10; output[3] = s3 ^ s11;
        output[4] = s4 ^ s12; output[5] = s5 ^ s13; output[6] = s6 ^ s14; output[7] = s7 ^ s15;
        if (output.Length > 8)
        {
            output[8] = s8 ^ cv[0]; output[9] = s9 ^ cv[1]; output[10] = s10 ^ cv[2]; output[11] = s11 ^ cv[3];
            output[12] = s12 ^ cv[4]; output[13] = s13 ^ cv[5]; output[14] = s14 ^ cv[6]; output[15] = s15 ^ cv[7];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void G(ref uint a, ref uint b, ref uint c, ref uint d, uint mx, uint my)
    {
        a = a + b + mx;
        d = BitOperations.RotateRight(d ^ a, 16);
        c += d;
        b = BitOperations.RotateRight(b ^ c, 12);
        a = a + b + my;
        d = BitOperations.RotateRight(d ^ a, 8);
        c += d;
        b = BitOperations.RotateRight(b ^ c, 7);
    }

    // Rows are MSG_PERMUTATION applied 0..6 times (BLAKE3 spec §2.2).
    private static ReadOnlySpan<byte> Schedule =>
    [
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
        2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8,
        3, 4, 10, 12, 13, 2, 7, 14, 6, 5, 9, 0, 11, 15, 8, 1,
        10, 7, 12, 9, 14, 3, 13, 15, 4, 0, 11, 2, 5, 8, 1, 6,
        12, 13, 9, 11, 15, 10, 14, 8, 7, 2, 5, 3, 0, 1, 6, 4,
        9, 14, 11, 5, 8, 12, 15, 1, 13, 3, 0, 10, 2, 6, 4, 7,
        11, 15, 5, 0, 1, 9, 8, 6, 14, 10, 2, 12, 3, 4, 7, 13,
    ];
}
