using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Overlay.Erasure.Kernels;

/// <summary>AVX-512BW and GFNI on 512-bit vectors.</summary>
internal readonly unsafe struct ByteVector512 : IGfniVector<Vector512<byte>>, ISplitTableVector<Vector512<byte>>
{
    public static int Size => 64;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Load(byte* source) => Vector512.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<byte> value, byte* target) => value.Store(target);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Xor(Vector512<byte> a, Vector512<byte> b, Vector512<byte> c) => a ^ b ^ c;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Broadcast(ulong matrix) => Vector512.Create(matrix).AsByte();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Transform(Vector512<byte> x, Vector512<byte> matrix) => Gfni.V512.GaloisFieldAffineTransform(x, matrix, 0);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Table(byte* table) => Avx512F.BroadcastVector128ToVector512((uint*)table).AsByte();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Lookup(Vector512<byte> table, Vector512<byte> indices) => Avx512BW.Shuffle(table, indices);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> LowNibbles(Vector512<byte> x) => x & Vector512.Create((byte)0x0F);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> HighNibbles(Vector512<byte> x) => Vector512.ShiftRightLogical(x.AsUInt16(), 4).AsByte() & Vector512.Create((byte)0x0F);
}
