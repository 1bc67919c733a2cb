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
        ulong acc = 0;
        var held = 0;
        var o = 0;
        for (var i = 0; i < N; i++)
        {
            var v = offset - (sign * a[i]);
            acc |= (ulong)(uint)v << held;
            held += bits;
            while (held >= 8)
            {
                output[o++] = (byte)acc;
                acc >>= 8;
                held -= 8;
            }
        }
    }

    /// <summary>SimpleBitUnpack (Algorithm 18).</summary>
    public static void UnpackSimple(ReadOnlySpan<byte> input, int bits, Span<int> a) => UnpackOffset(input, bits, 0, -1, a);

    /// <summary>BitUnpack (Algorithm 19): each stored value v becomes <paramref name="offset"/> - v.</summary>
    public static void UnpackOffset(ReadOnlySpan<byte> input, int bits, int offset, Span<int> a) => UnpackOffset(input, bits, offset, 1, a);

    private static void UnpackOffset(ReadOnlySpan<byte> input, int bits, int offset, int sign, Span<int> a)
    {
        ulong acc = 0;
        var held = 0;
        var p = 0;
        var mask = (1UL << bits) - 1;
        for (var i = 0; i < N; i++)
        {
            while (held < bits)
            {
                acc |= (ulong)input[p++] << held;
                held += 8;
            }

            var raw = (int)(acc & mask);
            acc >>= bits;
            held -= bits;
            a[i] = offset - (sign * raw);
        }
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
