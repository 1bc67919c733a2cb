using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Overlay.Erasure.Kernels;

/// <summary>The vector width a <see cref="SplitTableKernel{TVector, TWidth}"/> runs at.</summary>
internal unsafe interface ISplitTableVector<TVector>
    where TVector : struct
{
    /// <summary>Bytes per vector.</summary>
    static abstract int Size { get; }

    static abstract TVector Load(byte* source);

    static abstract void Store(TVector value, byte* target);

    /// <summary>a ⊕ b ⊕ c: one <c>vpternlogd</c> where AVX-512 (or AVX-512VL) is present.</summary>
    static abstract TVector Xor(TVector a, TVector b, TVector c);

    /// <summary>The 16-byte table at <paramref name="table"/> in every 128-bit lane (byte shuffles look up within a lane).</summary>
    static abstract TVector Table(byte* table);

    /// <summary>Byte i of the result is byte <c>indices[i]</c> (0–15) of the table in i's lane.</summary>
    static abstract TVector Lookup(TVector table, TVector indices);

    /// <summary>Each byte's high nibble, as a value 0–15.</summary>
    static abstract TVector HighNibbles(TVector x);

    /// <summary>Each byte's low nibble.</summary>
    static abstract TVector LowNibbles(TVector x);
}

internal readonly unsafe struct SplitTable512 : ISplitTableVector<Vector512<byte>>
{
    public static int Size => 64;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Load(byte* source) => Vector512.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<byte> value, byte* target) => value.Store(target);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Xor(Vector512<byte> a, Vector512<byte> b, Vector512<byte> c) => a ^ b ^ c;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Table(byte* table) => Avx512F.BroadcastVector128ToVector512((uint*)table).AsByte();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Lookup(Vector512<byte> table, Vector512<byte> indices) => Avx512BW.Shuffle(table, indices);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> HighNibbles(Vector512<byte> x) => Vector512.ShiftRightLogical(x.AsUInt16(), 4).AsByte() & Vector512.Create((byte)0x0F);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> LowNibbles(Vector512<byte> x) => x & Vector512.Create((byte)0x0F);
}

internal readonly unsafe struct SplitTable256 : ISplitTableVector<Vector256<byte>>
{
    public static int Size => 32;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Load(byte* source) => Vector256.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<byte> value, byte* target) => value.Store(target);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Xor(Vector256<byte> a, Vector256<byte> b, Vector256<byte> c) => a ^ b ^ c;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Table(byte* table) => Avx2.BroadcastVector128ToVector256(table);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Lookup(Vector256<byte> table, Vector256<byte> indices) => Avx2.Shuffle(table, indices);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> HighNibbles(Vector256<byte> x) => Vector256.ShiftRightLogical(x.AsUInt16(), 4).AsByte() & Vector256.Create((byte)0x0F);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> LowNibbles(Vector256<byte> x) => x & Vector256.Create((byte)0x0F);
}

/// <summary>SSSE3 <c>pshufb</c> on x64, <c>tbl</c> on Arm64.</summary>
internal readonly unsafe struct SplitTable128 : ISplitTableVector<Vector128<byte>>
{
    public static int Size => 16;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> Load(byte* source) => Vector128.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector128<byte> value, byte* target) => value.Store(target);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> Xor(Vector128<byte> a, Vector128<byte> b, Vector128<byte> c) => a ^ b ^ c;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> Table(byte* table) => Vector128.Load(table);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> Lookup(Vector128<byte> table, Vector128<byte> indices) => Vector128.ShuffleNative(table, indices);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> HighNibbles(Vector128<byte> x) => Vector128.ShiftRightLogical(x.AsUInt16(), 4).AsByte() & Vector128.Create((byte)0x0F);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> LowNibbles(Vector128<byte> x) => x & Vector128.Create((byte)0x0F);
}
