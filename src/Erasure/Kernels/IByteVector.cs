namespace Overlay.Erasure.Kernels;

/// <summary>A vector of bytes at one width: what every vector kernel needs from it.</summary>
internal unsafe interface IByteVector<TVector>
    where TVector : struct
{
    /// <summary>Bytes per vector.</summary>
    static abstract int Size { get; }

    static abstract TVector Load(byte* source);

    static abstract void Store(TVector value, byte* target);

    /// <summary>a ⊕ b ⊕ c: one <c>vpternlogd</c> where AVX-512 (or AVX-512VL) is present.</summary>
    static abstract TVector Xor(TVector a, TVector b, TVector c);
}
