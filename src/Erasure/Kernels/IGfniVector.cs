namespace Overlay.Erasure.Kernels;

/// <summary>The GFNI operations <see cref="GfniKernel{TVector, TWidth}"/> needs at one width.</summary>
internal interface IGfniVector<TVector> : IByteVector<TVector>
    where TVector : struct
{
    /// <summary>The 8×8 bit matrix <paramref name="matrix"/> in every quadword.</summary>
    static abstract TVector Broadcast(ulong matrix);

    /// <summary><c>vgf2p8affineqb</c>: each byte of <paramref name="x"/> times the matrix.</summary>
    static abstract TVector Transform(TVector x, TVector matrix);
}
