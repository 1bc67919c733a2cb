using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Overlay.Erasure.Kernels;

/// <summary>The vector width a <see cref="GfniKernel{TVector, TWidth}"/> runs at.</summary>
internal unsafe interface IGfniVector<TVector>
    where TVector : struct
{
    /// <summary>Bytes per vector.</summary>
    static abstract int Size { get; }

    static abstract TVector Load(byte* source);

    static abstract void Store(TVector value, byte* target);

    /// <summary>a ⊕ b ⊕ c: one <c>vpternlogd</c> where AVX-512 (or AVX-512VL) is present.</summary>
    static abstract TVector Xor(TVector a, TVector b, TVector c);

    /// <summary>The 8×8 bit matrix <paramref name="matrix"/> in every quadword.</summary>
    static abstract TVector Broadcast(ulong matrix);

    /// <summary><c>vgf2p8affineqb</c>: each byte of <paramref name="x"/> times the matrix.</summary>
    static abstract TVector Transform(TVector x, TVector matrix);
}

internal readonly unsafe struct Gfni512 : IGfniVector<Vector512<byte>>
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
}

internal readonly unsafe struct Gfni256 : IGfniVector<Vector256<byte>>
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
}
