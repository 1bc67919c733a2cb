namespace Overlay.Erasure.Kernels;

/// <summary>The byte-shuffle operations <see cref="SplitTableKernel{TVector, TWidth}"/> needs at one width.</summary>
internal unsafe interface ISplitTableVector<TVector> : IByteVector<TVector>
    where TVector : struct
{
    /// <summary>The 16-byte table at <paramref name="table"/> in every 128-bit lane (byte shuffles look up within a lane).</summary>
    static abstract TVector Table(byte* table);

    /// <summary>Byte i of the result is byte <c>indices[i]</c> (0–15) of the table in i's lane.</summary>
    static abstract TVector Lookup(TVector table, TVector indices);

    /// <summary>Each byte's low nibble.</summary>
    static abstract TVector LowNibbles(TVector x);

    /// <summary>Each byte's high nibble, as a value 0–15.</summary>
    static abstract TVector HighNibbles(TVector x);
}
