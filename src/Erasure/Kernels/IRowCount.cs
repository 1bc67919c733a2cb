namespace Overlay.Erasure.Kernels;

/// <summary>
/// How many output rows a kernel pass computes, as a type: the JIT compiles one body per count with
/// the unused accumulators removed, so each pass keeps all of its outputs in registers and reads each
/// input once.
/// </summary>
internal interface IRowCount
{
    static abstract int Value { get; }
}

internal readonly struct OneRow : IRowCount
{
    public static int Value => 1;
}

internal readonly struct TwoRows : IRowCount
{
    public static int Value => 2;
}

internal readonly struct ThreeRows : IRowCount
{
    public static int Value => 3;
}

internal readonly struct FourRows : IRowCount
{
    public static int Value => 4;
}
