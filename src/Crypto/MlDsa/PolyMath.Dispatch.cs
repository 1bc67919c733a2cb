namespace Overlay.Crypto.MlDsa;

internal static partial class PolyMath
{
    /// <summary>Forward NTT in place (FIPS 204 Algorithm 41); output coefficients grow by at most 16q.</summary>
    public static void Ntt(Span<int> a)
    {
        switch (SimdControl.Level)
        {
            case SimdLevel.Vector512:
                NttVector512(a);
                break;
            case SimdLevel.Vector256:
                NttVector256(a);
                break;
            default:
                NttScalar(a);
                break;
        }
    }

    /// <summary>Inverse NTT times the Montgomery factor (FIPS 204 Algorithm 42); needs |a| &lt; q, gives |a| &lt; q.</summary>
    public static void InvNttToMont(Span<int> a)
    {
        switch (SimdControl.Level)
        {
            case SimdLevel.Vector512:
                InvNttToMontVector512(a);
                break;
            case SimdLevel.Vector256:
                InvNttToMontVector256(a);
                break;
            default:
                InvNttToMontScalar(a);
                break;
        }
    }

    /// <summary>c = a ∘ b · 2^-32, coefficient-wise in the NTT domain.</summary>
    public static void PointwiseMontgomery(Span<int> c, ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        if (SimdControl.Level != SimdLevel.Scalar)
        {
            PointwiseVector(c, a, b, accumulate: false);
        }
        else
        {
            PointwiseMontgomeryScalar(c, a, b);
        }
    }

    /// <summary>c += a ∘ b · 2^-32, coefficient-wise in the NTT domain.</summary>
    public static void PointwiseAccumulate(Span<int> c, ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        if (SimdControl.Level != SimdLevel.Scalar)
        {
            PointwiseVector(c, a, b, accumulate: true);
        }
        else
        {
            PointwiseAccumulateScalar(c, a, b);
        }
    }
}
