using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Overlay.Crypto.MlDsa;

/// <summary>
/// The bit packings of FIPS 204 §7.1–7.2: coefficients are written least significant bit first,
/// in fixed widths, so the loops' shape depends only on the width and never on the values.
/// </summary>
internal static class Packing
{
    private const int N = MlDsaParameters.N;

    /// <summary>SimpleBitPack (Algorithm 16): each coefficient, already in [0, 2^bits), as is.</summary>
    public static void PackSimple(ReadOnlySpan<int> a, int bits, Span<byte> output) => PackOffset(a, bits, 0, -1, output);

    /// <summary>BitPack (Algorithm 17) with b = <paramref name="offset"/>: each coefficient w stored as b - w.</summary>
    public static void PackOffset(ReadOnlySpan<int> a, int bits, int offset, Span<byte> output) => PackOffset(a, bits, offset, 1, output);

    private static void PackOffset(ReadOnlySpan<int> a, int bits, int offset, int sign, Span<byte> output)
    {
        if (bits == 4 && sign < 0)
        {
            // w1 for γ2 = (q - 1)/32: two coefficients per byte, once per signing attempt.
            for (var i = 0; i < N / 2; i++)
            {
                output[i] = (byte)(a[2 * i] | (a[(2 * i) + 1] << 4));
            }

            return;
        }

        // 256·bits is a multiple of 32, so whole 32-bit words come out; held stays below 32 + 20 bits.
        ulong acc = 0;
        var held = 0;
        var o = 0;
        output = output.Slice(0, 32 * bits);
        for (var i = 0; i < N; i++)
        {
            var v = offset - (sign * a[i]);
            acc |= (ulong)(uint)v << held;
            held += bits;
            if (held >= 32)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(output.Slice(o), (uint)acc);
                o += 4;
                acc >>= 32;
                held -= 32;
            }
        }
    }

    /// <summary>SimpleBitUnpack (Algorithm 18).</summary>
    public static void UnpackSimple(ReadOnlySpan<byte> input, int bits, Span<int> a) => UnpackOffset(input, bits, 0, -1, a);

    /// <summary>BitUnpack (Algorithm 19): each stored value v becomes <paramref name="offset"/> - v.</summary>
    public static void UnpackOffset(ReadOnlySpan<byte> input, int bits, int offset, Span<int> a) => UnpackOffset(input, bits, offset, 1, a);

    private static void UnpackOffset(ReadOnlySpan<byte> input, int bits, int offset, int sign, Span<int> a)
    {
        if (Avx512Vbmi.IsSupported && SimdControl.Level == SimdLevel.Vector512)
        {
            UnpackVbmi(input, bits, offset, sign, a);
            return;
        }

        ulong acc = 0;
        var held = 0;
        var p = 0;
        var mask = (1UL << bits) - 1;
        input = input.Slice(0, 32 * bits);
        for (var i = 0; i < N; i++)
        {
            if (held < bits)
            {
                acc |= (ulong)BinaryPrimitives.ReadUInt32LittleEndian(input.Slice(p)) << held;
                p += 4;
                held += 32;
            }

            var raw = (int)(acc & mask);
            acc >>= bits;
            held -= bits;
            a[i] = offset - (sign * raw);
        }
    }

    /// <summary>Per width: the byte gather that puts each of 16 fields' first 4 bytes in its lane, and each lane's bit shift.</summary>
    private static readonly (Vector512<byte> Gather, Vector512<uint> Shift)[] UnpackTables = BuildUnpackTables();

    private static (Vector512<byte>, Vector512<uint>)[] BuildUnpackTables()
    {
        var tables = new (Vector512<byte>, Vector512<uint>)[25];
        Span<byte> gather = stackalloc byte[64];
        Span<uint> shift = stackalloc uint[16];
        for (var bits = 1; bits <= 24; bits++)
        {
            for (var lane = 0; lane < 16; lane++)
            {
                var start = bits * lane / 8;
                for (var b = 0; b < 4; b++)
                {
                    gather[(lane * 4) + b] = (byte)Math.Min(start + b, 63);
                }

                shift[lane] = (uint)(bits * lane % 8);
            }

            tables[bits] = (Vector512.Create((ReadOnlySpan<byte>)gather), Vector512.Create((ReadOnlySpan<uint>)shift));
        }

        return tables;
    }

    /// <summary>
    /// Sixteen fields per step with AVX-512 VBMI: vpermb gathers each field's bytes into its own 32-bit lane,
    /// a per-lane shift aligns it and a mask trims it. Widths up to 24 bits fit one lane's four bytes.
    /// </summary>
    private static void UnpackVbmi(ReadOnlySpan<byte> input, int bits, int offset, int sign, Span<int> a)
    {
        var (gather, shift) = UnpackTables[bits];
        var mask = Vector512.Create((1u << bits) - 1);
        var offsets = Vector512.Create(offset);
        var step = 2 * bits;
        Span<byte> tail = stackalloc byte[64];
        ref var output = ref MemoryMarshal.GetReference(a.Slice(0, N));
        for (var i = 0; i < N / 16; i++)
        {
            var at = i * step;
            Vector512<byte> bytes;
            if (at + 64 <= input.Length)
            {
                bytes = Vector512.LoadUnsafe(ref MemoryMarshal.GetReference(input), (nuint)at);
            }
            else
            {
                // The last steps would read past the encoding: copy what is left into a zeroed block.
                tail.Clear();
                input.Slice(at, Math.Min(64, input.Length - at)).CopyTo(tail);
                bytes = Vector512.Create((ReadOnlySpan<byte>)tail);
            }

            var raw = (Avx512F.ShiftRightLogicalVariable(Avx512Vbmi.PermuteVar64x8(bytes, gather).AsUInt32(), shift) & mask).AsInt32();
            var values = sign > 0 ? offsets - raw : raw;
            values.StoreUnsafe(ref output, (nuint)(i * 16));
        }

        // The tail may hold private-key bytes (s1, s2, t0 when a key is imported).
        tail.Clear();
    }

    /// <summary>The mask y or the response z: BitUnpack(·, γ1 - 1, γ1), values in [-γ1 + 1, γ1].</summary>
    public static void UnpackZ(ReadOnlySpan<byte> input, int bits, int gamma1, Span<int> a) => UnpackOffset(input, bits, gamma1, a);

    /// <summary>
    /// HintBitPack (Algorithm 20): the positions of the ones, polynomial by polynomial, then each polynomial's
    /// running count. Only called for an accepted signature, whose hint is public.
    /// </summary>
    public static void PackHint(ReadOnlySpan<int> h, int k, int omega, Span<byte> output)
    {
        output.Slice(0, omega + k).Clear();
        var index = 0;
        for (var i = 0; i < k; i++)
        {
            for (var j = 0; j < N; j++)
            {
                if (h[(i * N) + j] != 0)
                {
                    output[index++] = (byte)j;
                }
            }

            output[omega + i] = (byte)index;
        }
    }

    /// <summary>
    /// HintBitUnpack (Algorithm 21) with all of its malformed-input checks: counts never decrease and never pass ω,
    /// positions strictly increase within a polynomial, and unused slots are zero. False on any violation.
    /// </summary>
    public static bool TryUnpackHint(ReadOnlySpan<byte> input, int k, int omega, Span<int> h)
    {
        h.Slice(0, k * N).Clear();
        var index = 0;
        for (var i = 0; i < k; i++)
        {
            int end = input[omega + i];
            if (end < index || end > omega)
            {
                return false;
            }

            var first = index;
            while (index < end)
            {
                if (index > first && input[index - 1] >= input[index])
                {
                    return false;
                }

                h[(i * N) + input[index]] = 1;
                index++;
            }
        }

        for (var i = index; i < omega; i++)
        {
            if (input[i] != 0)
            {
                return false;
            }
        }

        return true;
    }
}
