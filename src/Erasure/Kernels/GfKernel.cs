namespace Overlay.Erasure.Kernels;

/// <summary>
/// The ways a coefficient matrix is applied to shard bytes. Every kernel gives the same bytes; they
/// differ only in the instructions used. Tests and benchmarks force each one through
/// <see cref="ReedSolomonCodec"/>'s internal constructor.
/// </summary>
internal enum GfKernel
{
    /// <summary>One byte at a time through the 64 KiB product table.</summary>
    Scalar = 0,

    /// <summary>Split (nibble) tables looked up 16 bytes at a time (SSSE3 <c>pshufb</c>, Arm64 <c>tbl</c>).</summary>
    Vector128Shuffle = 1,

    /// <summary>Split (nibble) tables looked up 32 bytes at a time (AVX2 <c>vpshufb</c>).</summary>
    Vector256Shuffle = 2,

    /// <summary>Split (nibble) tables looked up 64 bytes at a time (AVX-512BW <c>vpshufb</c>).</summary>
    Vector512Shuffle = 3,

    /// <summary>One GFNI affine transform (<c>vgf2p8affineqb</c>) per product, 32 bytes at a time.</summary>
    Vector256Gfni = 4,

    /// <summary>One GFNI affine transform per product, 64 bytes at a time.</summary>
    Vector512Gfni = 5,
}
