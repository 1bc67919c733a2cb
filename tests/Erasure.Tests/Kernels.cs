using Overlay.Erasure.Kernels;

namespace Overlay.Erasure.Tests;

/// <summary>
/// Every kernel by name (the enum is internal, test methods are public), so a test runs once per
/// kernel; kernels this processor lacks are skipped with a reason, never passed.
/// </summary>
internal static class Kernels
{
    public static TheoryData<string> EachVector()
    {
        var data = new TheoryData<string>();
        foreach (var kernel in GfKernels.All)
        {
            if (kernel != GfKernel.Scalar)
            {
                data.Add(kernel.ToString());
            }
        }

        return data;
    }

    public static TheoryData<string> Each()
    {
        var data = new TheoryData<string>();
        foreach (var kernel in GfKernels.All)
        {
            data.Add(kernel.ToString());
        }

        return data;
    }

    /// <summary>The named kernel, or a skipped test when this processor cannot run it.</summary>
    public static GfKernel Require(string name)
    {
        var kernel = Enum.Parse<GfKernel>(name);
        if (!GfKernels.IsSupported(kernel))
        {
            Assert.Skip($"The {kernel} kernel needs instructions this processor lacks.");
        }

        return kernel;
    }

    public static ReedSolomonCodec Codec(int dataShards, int parityShards, GfKernel kernel, long cacheBytes = ReedSolomonCodec.DefaultDecodeCacheBytes) =>
        new(dataShards, parityShards, cacheBytes, kernel);
}
