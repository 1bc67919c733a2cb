namespace Overlay.Erasure.Kernels;

/// <summary>
/// One kernel's inner loop: <c>outputs[r][x] = Σ_j coefficient(r, j) · inputs[j][x]</c> for the
/// rows of one pass (a <see cref="IRowCount"/>), over whole steps of bytes. <see cref="StripeMultiplier"/>
/// splits the work into passes and column blocks and pads the ragged tail out to a step.
/// </summary>
internal unsafe interface IGfKernelBody
{
    /// <summary>Bytes per step; <c>end − start</c> is always a multiple of it.</summary>
    static abstract int StepSize { get; }

    /// <summary>
    /// Computes bytes [start, end) of <typeparamref name="TRows"/> outputs. Row r's coefficients start
    /// at <c>coefficients + r·rowStride</c>, one element per input, in the kernel's element form.
    /// </summary>
    static abstract void Multiply<TRows>(byte* coefficients, nint rowStride, byte** inputs, int inputCount, byte** outputs, nint start, nint end)
        where TRows : struct, IRowCount;
}
