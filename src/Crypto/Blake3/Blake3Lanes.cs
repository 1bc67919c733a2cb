using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Overlay.Crypto;

/// <summary>
/// Operations the many-inputs compression kernel needs from one vector width. Lane <c>j</c> of every
/// vector belongs to input <c>j</c>, so the 16 state words of up to 16 compressions advance together
/// with no shuffles inside the rounds (BLAKE3 paper §5.3).
/// </summary>
internal unsafe interface IBlake3Lanes<TVec>
    where TVec : unmanaged
{
    static abstract int Count { get; }

    static abstract TVec Splat(uint value);

    static abstract TVec Load(uint* source);

    static abstract void Store(TVec value, uint* destination);

    static abstract TVec Add(TVec left, TVec right);

    static abstract TVec Xor(TVec left, TVec right);

    static abstract TVec RotateRight16(TVec value);

    static abstract TVec RotateRight12(TVec value);

    static abstract TVec RotateRight8(TVec value);

    static abstract TVec RotateRight7(TVec value);

    /// <summary>Reads one 64-byte block from each lane's input (<paramref name="block"/> + j·stride) and transposes it: message[i], lane j = word i of input j.</summary>
    static abstract void LoadMessage(byte* block, nint stride, ref TVec message);
}

/// <summary>One lane in general-purpose registers: the portable scalar path.</summary>
internal readonly unsafe struct ScalarLanes : IBlake3Lanes<uint>
{
    public static int Count => 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Splat(uint value) => value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Load(uint* source) => *source;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(uint value, uint* destination) => *destination = value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Add(uint left, uint right) => left + right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Xor(uint left, uint right) => left ^ right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint RotateRight16(uint value) => System.Numerics.BitOperations.RotateRight(value, 16);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint RotateRight12(uint value) => System.Numerics.BitOperations.RotateRight(value, 12);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint RotateRight8(uint value) => System.Numerics.BitOperations.RotateRight(value, 8);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint RotateRight7(uint value) => System.Numerics.BitOperations.RotateRight(value, 7);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadMessage(byte* block, nint stride, ref uint message)
    {
        for (var i = 0; i < 16; i++)
        {
            Unsafe.Add(ref message, i) = BinaryPrimitives.ReadUInt32LittleEndian(new ReadOnlySpan<byte>(block + (i * 4), 4));
        }
    }
}

/// <summary>Four lanes of 128-bit vectors.</summary>
internal readonly unsafe struct Vector128Lanes : IBlake3Lanes<Vector128<uint>>
{
    public static int Count => 4;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<uint> Splat(uint value) => Vector128.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<uint> Load(uint* source) => Vector128.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector128<uint> value, uint* destination) => value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<uint> Add(Vector128<uint> left, Vector128<uint> right) => left + right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<uint> Xor(Vector128<uint> left, Vector128<uint> right) => left ^ right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<uint> RotateRight16(Vector128<uint> value) => Blake3Rotate.Right16(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<uint> RotateRight12(Vector128<uint> value) => Blake3Rotate.Right(value, 12);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<uint> RotateRight8(Vector128<uint> value) => Blake3Rotate.Right8(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<uint> RotateRight7(Vector128<uint> value) => Blake3Rotate.Right(value, 7);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadMessage(byte* block, nint stride, ref Vector128<uint> message)
    {
        if (Sse2.IsSupported && BitConverter.IsLittleEndian)
        {
            // Four 4×4 word transposes: quarter q of each lane's block becomes message words 4q..4q+3.
            for (var q = 0; q < 4; q++)
            {
                var r0 = Vector128.Load((uint*)(block + (q * 16)));
                var r1 = Vector128.Load((uint*)(block + stride + (q * 16)));
                var r2 = Vector128.Load((uint*)(block + (2 * stride) + (q * 16)));
                var r3 = Vector128.Load((uint*)(block + (3 * stride) + (q * 16)));
                var t0 = Sse2.UnpackLow(r0, r1).AsUInt64();
                var t1 = Sse2.UnpackLow(r2, r3).AsUInt64();
                var t2 = Sse2.UnpackHigh(r0, r1).AsUInt64();
                var t3 = Sse2.UnpackHigh(r2, r3).AsUInt64();
                Unsafe.Add(ref message, (q * 4) + 0) = Sse2.UnpackLow(t0, t1).AsUInt32();
                Unsafe.Add(ref message, (q * 4) + 1) = Sse2.UnpackHigh(t0, t1).AsUInt32();
                Unsafe.Add(ref message, (q * 4) + 2) = Sse2.UnpackLow(t2, t3).AsUInt32();
                Unsafe.Add(ref message, (q * 4) + 3) = Sse2.UnpackHigh(t2, t3).AsUInt32();
            }

            return;
        }

        for (var i = 0; i < 16; i++)
        {
            Unsafe.Add(ref message, i) = Vector128.Create(
                BinaryPrimitives.ReadUInt32LittleEndian(new ReadOnlySpan<byte>(block + (i * 4), 4)),
                BinaryPrimitives.ReadUInt32LittleEndian(new ReadOnlySpan<byte>(block + stride + (i * 4), 4)),
                BinaryPrimitives.ReadUInt32LittleEndian(new ReadOnlySpan<byte>(block + (2 * stride) + (i * 4), 4)),
                BinaryPrimitives.ReadUInt32LittleEndian(new ReadOnlySpan<byte>(block + (3 * stride) + (i * 4), 4)));
        }
    }
}

/// <summary>Eight lanes of 256-bit vectors; requires AVX2.</summary>
internal readonly unsafe struct Vector256Lanes : IBlake3Lanes<Vector256<uint>>
{
    public static int Count => 8;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<uint> Splat(uint value) => Vector256.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<uint> Load(uint* source) => Vector256.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<uint> value, uint* destination) => value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<uint> Add(Vector256<uint> left, Vector256<uint> right) => left + right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<uint> Xor(Vector256<uint> left, Vector256<uint> right) => left ^ right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<uint> RotateRight16(Vector256<uint> value) => Avx512F.VL.IsSupported
        ? Avx512F.VL.RotateRight(value, 16)
        : Avx2.Shuffle(value.AsByte(), Blake3Rotate.Rotate16Mask256).AsUInt32();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<uint> RotateRight12(Vector256<uint> value) => Avx512F.VL.IsSupported
        ? Avx512F.VL.RotateRight(value, 12)
        : Avx2.Or(Avx2.ShiftRightLogical(value, 12), Avx2.ShiftLeftLogical(value, 20));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<uint> RotateRight8(Vector256<uint> value) => Avx512F.VL.IsSupported
        ? Avx512F.VL.RotateRight(value, 8)
        : Avx2.Shuffle(value.AsByte(), Blake3Rotate.Rotate8Mask256).AsUInt32();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<uint> RotateRight7(Vector256<uint> value) => Avx512F.VL.IsSupported
        ? Avx512F.VL.RotateRight(value, 7)
        : Avx2.Or(Avx2.ShiftRightLogical(value, 7), Avx2.ShiftLeftLogical(value, 25));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadMessage(byte* block, nint stride, ref Vector256<uint> message)
    {
        // Two 8×8 word transposes: half h of each lane's block becomes message words 8h..8h+7.
        for (var h = 0; h < 2; h++)
        {
            var p = block + (h * 32);
            var r0 = Vector256.Load((uint*)p);
            var r1 = Vector256.Load((uint*)(p + stride));
            var r2 = Vector256.Load((uint*)(p + (2 * stride)));
            var r3 = Vector256.Load((uint*)(p + (3 * stride)));
            var r4 = Vector256.Load((uint*)(p + (4 * stride)));
            var r5 = Vector256.Load((uint*)(p + (5 * stride)));
            var r6 = Vector256.Load((uint*)(p + (6 * stride)));
            var r7 = Vector256.Load((uint*)(p + (7 * stride)));

            // Within each 128-bit half: interleave words, then word pairs (a 4×4 transpose per half).
            var a0 = Avx2.UnpackLow(r0, r1).AsUInt64();
            var a1 = Avx2.UnpackHigh(r0, r1).AsUInt64();
            var a2 = Avx2.UnpackLow(r2, r3).AsUInt64();
            var a3 = Avx2.UnpackHigh(r2, r3).AsUInt64();
            var a4 = Avx2.UnpackLow(r4, r5).AsUInt64();
            var a5 = Avx2.UnpackHigh(r4, r5).AsUInt64();
            var a6 = Avx2.UnpackLow(r6, r7).AsUInt64();
            var a7 = Avx2.UnpackHigh(r6, r7).AsUInt64();
            var b0 = Avx2.UnpackLow(a0, a2).AsUInt32();
            var b1 = Avx2.UnpackHigh(a0, a2).AsUInt32();
            var b2 = Avx2.UnpackLow(a1, a3).AsUInt32();
            var b3 = Avx2.UnpackHigh(a1, a3).AsUInt32();
            var b4 = Avx2.UnpackLow(a4, a6).AsUInt32();
            var b5 = Avx2.UnpackHigh(a4, a6).AsUInt32();
            var b6 = Avx2.UnpackLow(a5, a7).AsUInt32();
            var b7 = Avx2.UnpackHigh(a5, a7).AsUInt32();

            // Then join lanes 0–3 (b0..b3) with lanes 4–7 (b4..b7), low halves first.
            ref var m = ref Unsafe.Add(ref message, h * 8);
            Unsafe.Add(ref m, 0) = Avx2.Permute2x128(b0, b4, 0x20);
            Unsafe.Add(ref m, 1) = Avx2.Permute2x128(b1, b5, 0x20);
            Unsafe.Add(ref m, 2) = Avx2.Permute2x128(b2, b6, 0x20);
            Unsafe.Add(ref m, 3) = Avx2.Permute2x128(b3, b7, 0x20);
            Unsafe.Add(ref m, 4) = Avx2.Permute2x128(b0, b4, 0x31);
            Unsafe.Add(ref m, 5) = Avx2.Permute2x128(b1, b5, 0x31);
            Unsafe.Add(ref m, 6) = Avx2.Permute2x128(b2, b6, 0x31);
            Unsafe.Add(ref m, 7) = Avx2.Permute2x128(b3, b7, 0x31);
        }
    }
}

/// <summary>Sixteen lanes of 512-bit vectors; requires AVX-512F.</summary>
internal readonly unsafe struct Vector512Lanes : IBlake3Lanes<Vector512<uint>>
{
    public static int Count => 16;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<uint> Splat(uint value) => Vector512.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<uint> Load(uint* source) => Vector512.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<uint> value, uint* destination) => value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<uint> Add(Vector512<uint> left, Vector512<uint> right) => left + right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<uint> Xor(Vector512<uint> left, Vector512<uint> right) => left ^ right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<uint> RotateRight16(Vector512<uint> value) => Avx512F.RotateRight(value, 16);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<uint> RotateRight12(Vector512<uint> value) => Avx512F.RotateRight(value, 12);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<uint> RotateRight8(Vector512<uint> value) => Avx512F.RotateRight(value, 8);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<uint> RotateRight7(Vector512<uint> value) => Avx512F.RotateRight(value, 7);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadMessage(byte* block, nint stride, ref Vector512<uint> message)
    {
        // One 16×16 word transpose. Stages 1–2 transpose 4×4 words inside each 128-bit quarter;
        // stages 3–4 then transpose the 4×4 grid of quarters across vectors.
        var r0 = Vector512.Load((uint*)block);
        var r1 = Vector512.Load((uint*)(block + stride));
        var r2 = Vector512.Load((uint*)(block + (2 * stride)));
        var r3 = Vector512.Load((uint*)(block + (3 * stride)));
        var r4 = Vector512.Load((uint*)(block + (4 * stride)));
        var r5 = Vector512.Load((uint*)(block + (5 * stride)));
        var r6 = Vector512.Load((uint*)(block + (6 * stride)));
        var r7 = Vector512.Load((uint*)(block + (7 * stride)));
        var r8 = Vector512.Load((uint*)(block + (8 * stride)));
        var r9 = Vector512.Load((uint*)(block + (9 * stride)));
        var r10 = Vector512.Load((uint*)(block + (10 * stride)));
        var r11 = Vector512.Load((uint*)(block + (11 * stride)));
        var r12 = Vector512.Load((uint*)(block + (12 * stride)));
        var r13 = Vector512.Load((uint*)(block + (13 * stride)));
        var r14 = Vector512.Load((uint*)(block + (14 * stride)));
        var r15 = Vector512.Load((uint*)(block + (15 * stride)));

        var a0 = Avx512F.UnpackLow(r0, r1).AsUInt64();
        var a1 = Avx512F.UnpackHigh(r0, r1).AsUInt64();
        var a2 = Avx512F.UnpackLow(r2, r3).AsUInt64();
        var a3 = Avx512F.UnpackHigh(r2, r3).AsUInt64();
        var a4 = Avx512F.UnpackLow(r4, r5).AsUInt64();
        var a5 = Avx512F.UnpackHigh(r4, r5).AsUInt64();
        var a6 = Avx512F.UnpackLow(r6, r7).AsUInt64();
        var a7 = Avx512F.UnpackHigh(r6, r7).AsUInt64();
        var a8 = Avx512F.UnpackLow(r8, r9).AsUInt64();
        var a9 = Avx512F.UnpackHigh(r8, r9).AsUInt64();
        var a10 = Avx512F.UnpackLow(r10, r11).AsUInt64();
        var a11 = Avx512F.UnpackHigh(r10, r11).AsUInt64();
        var a12 = Avx512F.UnpackLow(r12, r13).AsUInt64();
        var a13 = Avx512F.UnpackHigh(r12, r13).AsUInt64();
        var a14 = Avx512F.UnpackLow(r14, r15).AsUInt64();
        var a15 = Avx512F.UnpackHigh(r14, r15).AsUInt64();

        // b(4g+t), quarter k = word 4k+t of lanes 4g..4g+3.
        var b0 = Avx512F.UnpackLow(a0, a2).AsUInt32();
        var b1 = Avx512F.UnpackHigh(a0, a2).AsUInt32();
        var b2 = Avx512F.UnpackLow(a1, a3).AsUInt32();
        var b3 = Avx512F.UnpackHigh(a1, a3).AsUInt32();
        var b4 = Avx512F.UnpackLow(a4, a6).AsUInt32();
        var b5 = Avx512F.UnpackHigh(a4, a6).AsUInt32();
        var b6 = Avx512F.UnpackLow(a5, a7).AsUInt32();
        var b7 = Avx512F.UnpackHigh(a5, a7).AsUInt32();
        var b8 = Avx512F.UnpackLow(a8, a10).AsUInt32();
        var b9 = Avx512F.UnpackHigh(a8, a10).AsUInt32();
        var b10 = Avx512F.UnpackLow(a9, a11).AsUInt32();
        var b11 = Avx512F.UnpackHigh(a9, a11).AsUInt32();
        var b12 = Avx512F.UnpackLow(a12, a14).AsUInt32();
        var b13 = Avx512F.UnpackHigh(a12, a14).AsUInt32();
        var b14 = Avx512F.UnpackLow(a13, a15).AsUInt32();
        var b15 = Avx512F.UnpackHigh(a13, a15).AsUInt32();

        Quarters(b0, b4, b8, b12, ref message, 0);
        Quarters(b1, b5, b9, b13, ref message, 1);
        Quarters(b2, b6, b10, b14, ref message, 2);
        Quarters(b3, b7, b11, b15, ref message, 3);
    }

    // Transposes the 4×4 grid of 128-bit quarters: message[4k+t], quarter g = input g, quarter k.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Quarters(Vector512<uint> g0, Vector512<uint> g1, Vector512<uint> g2, Vector512<uint> g3, ref Vector512<uint> message, int t)
    {
        var c0 = Avx512F.Shuffle4x128(g0, g1, 0x44); // g0.q0, g0.q1, g1.q0, g1.q1
        var c1 = Avx512F.Shuffle4x128(g0, g1, 0xEE); // g0.q2, g0.q3, g1.q2, g1.q3
        var c2 = Avx512F.Shuffle4x128(g2, g3, 0x44);
        var c3 = Avx512F.Shuffle4x128(g2, g3, 0xEE);
        Unsafe.Add(ref message, t) = Avx512F.Shuffle4x128(c0, c2, 0x88);
        Unsafe.Add(ref message, 4 + t) = Avx512F.Shuffle4x128(c0, c2, 0xDD);
        Unsafe.Add(ref message, 8 + t) = Avx512F.Shuffle4x128(c1, c3, 0x88);
        Unsafe.Add(ref message, 12 + t) = Avx512F.Shuffle4x128(c1, c3, 0xDD);
    }
}

/// <summary>Word rotations for 128-bit vectors, using the cheapest instruction the processor has.</summary>
internal static class Blake3Rotate
{
    // Byte shuffles that rotate each 32-bit word right by 16 or 8 bits.
    internal static Vector128<byte> Rotate16Mask128 => Vector128.Create((byte)2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);

    internal static Vector128<byte> Rotate8Mask128 => Vector128.Create((byte)1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12);

    internal static Vector256<byte> Rotate16Mask256 => Vector256.Create(Rotate16Mask128, Rotate16Mask128);

    internal static Vector256<byte> Rotate8Mask256 => Vector256.Create(Rotate8Mask128, Rotate8Mask128);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<uint> Right16(Vector128<uint> value)
    {
        if (Avx512F.VL.IsSupported)
        {
            return Avx512F.VL.RotateRight(value, 16);
        }

        return Ssse3.IsSupported
            ? Ssse3.Shuffle(value.AsByte(), Rotate16Mask128).AsUInt32()
            : Vector128.ShiftRightLogical(value, 16) | Vector128.ShiftLeft(value, 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<uint> Right8(Vector128<uint> value)
    {
        if (Avx512F.VL.IsSupported)
        {
            return Avx512F.VL.RotateRight(value, 8);
        }

        return Ssse3.IsSupported
            ? Ssse3.Shuffle(value.AsByte(), Rotate8Mask128).AsUInt32()
            : Vector128.ShiftRightLogical(value, 8) | Vector128.ShiftLeft(value, 24);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<uint> Right(Vector128<uint> value, [ConstantExpected(Min = 1, Max = 31)] byte count)
    {
        if (Avx512F.VL.IsSupported)
        {
            return Avx512F.VL.RotateRight(value, count);
        }

        return Vector128.ShiftRightLogical(value, count) | Vector128.ShiftLeft(value, 32 - count);
    }
}
