namespace Overlay.Crypto;

/// <summary>
/// The compression back ends. Each vector path compresses that many chunks (or parent nodes) side by
/// side, one chunk per vector lane (BLAKE3 paper §5.3); <see cref="Blake3.Best"/> is the widest one the
/// processor runs natively.
/// </summary>
public enum Blake3Implementation
{
    /// <summary>Portable scalar code: one block at a time, no vector instructions.</summary>
    Scalar = 0,

    /// <summary>4 lanes of 128-bit vectors (SSE2/SSSE3 on x64, AdvSimd on Arm64).</summary>
    Vector128 = 1,

    /// <summary>8 lanes of 256-bit vectors (AVX2).</summary>
    Vector256 = 2,

    /// <summary>16 lanes of 512-bit vectors (AVX-512F).</summary>
    Vector512 = 3,
}
