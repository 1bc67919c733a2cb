using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Overlay.Erasure.Kernels;

/// <summary>AVX2 and GFNI on 256-bit vectors.</summary>
internal readonly unsafe struct ByteVector256 : IGfniVector<Vector256<byte>>, ISplitTableVector<Vector256<byte>>
{
    public static int Size => 32;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Load(byte* source) => Vector256.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<byte> value, byte* target) => value.Store(target);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Xor(Vector256<byte> a, Vector256<byte> b, Vector256<byte> c) => a ^ b ^ c;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Broadcast(ulong matrix) => Vector256.Create(matrix).AsByte();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Transform(Vector256<byte> x, Vector256<byte> matrix) => Gfni.V256.GaloisFieldAffineTransform(x, matrix, 0);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Table(byte* table) => Avx2.BroadcastVector128ToVector256(table);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Lookup(Vector256<byte> table, Vector256<byte> indices) => Avx2.Shuffle(table, indices);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> LowNibbles(Vector256<byte> x) => x & Vector256.Create((byte)0x0F);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> HighNibbles(Vector256<byte> x) => Vector256.ShiftRightLogical(x.AsUInt16(), 4).AsByte() & Vector256.Create((byte)0x0F);
}
