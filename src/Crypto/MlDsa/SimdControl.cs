namespace Overlay.Crypto.MlDsa;

/// <summary>Which vector width the polynomial arithmetic and Keccak use.</summary>
internal enum SimdLevel
{
    Scalar,
    Vector256,
    Vector512,
}

/// <summary>
/// Chooses the widest vector path the CPU accelerates. Tests pin a narrower one on their own thread,
/// so every path is exercised on a machine that has them all.
/// </summary>
internal static class SimdControl
{
    public static readonly SimdLevel Best =
        System.Runtime.Intrinsics.X86.Avx512F.IsSupported && System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? SimdLevel.Vector512
        : System.Runtime.Intrinsics.X86.Avx2.IsSupported ? SimdLevel.Vector256
        : SimdLevel.Scalar;

    [ThreadStatic]
    private static SimdLevel? _forced;

    public static SimdLevel Level => _forced ?? Best;

    public static bool ScalarOnly => Level == SimdLevel.Scalar;

    /// <summary>Pins <paramref name="level"/> for the current thread until the returned scope is disposed.</summary>
    public static Scope Force(SimdLevel level)
    {
        if (level > Best)
        {
            throw new PlatformNotSupportedException($"This CPU does not accelerate {level}.");
        }

        var previous = _forced;
        _forced = level;
        return new Scope(previous);
    }

    public readonly struct Scope(SimdLevel? previous) : IDisposable
    {
        public void Dispose() => _forced = previous;
    }
}
