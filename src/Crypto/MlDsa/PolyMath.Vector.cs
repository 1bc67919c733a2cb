namespace Overlay.Crypto.MlDsa;

internal static partial class PolyMath
{
    private static void NttVector512(Span<int> a) => NttScalar(a);

    private static void NttVector256(Span<int> a) => NttScalar(a);

    private static void InvNttToMontVector512(Span<int> a) => InvNttToMontScalar(a);

    private static void InvNttToMontVector256(Span<int> a) => InvNttToMontScalar(a);

    private static void PointwiseVector(Span<int> c, ReadOnlySpan<int> a, ReadOnlySpan<int> b, bool accumulate)
    {
        if (accumulate)
        {
            PointwiseAccumulateScalar(c, a, b);
        }
        else
        {
            PointwiseMontgomeryScalar(c, a, b);
        }
    }
}
