using Overlay.Crypto;

namespace Overlay.Crypto.Tests.Blake3Tests;

/// <summary>Every implementation path, so each test runs once per path; paths this processor lacks are skipped with a reason.</summary>
internal static class Blake3Paths
{
    public static readonly Blake3Implementation[] All =
    [
        Blake3Implementation.Scalar, Blake3Implementation.Vector128, Blake3Implementation.Vector256, Blake3Implementation.Vector512,
    ];

    public static TheoryData<Blake3Implementation> Each()
    {
        var data = new TheoryData<Blake3Implementation>();
        foreach (var implementation in All)
        {
            data.Add(implementation);
        }

        return data;
    }

    public static void SkipUnlessSupported(Blake3Implementation implementation)
    {
        if (!Overlay.Crypto.Blake3.IsSupported(implementation))
        {
            Assert.Skip($"The {implementation} BLAKE3 path needs instructions this processor lacks.");
        }
    }

    /// <summary>The official vectors' input pattern: byte i = i mod 251.</summary>
    public static byte[] PatternInput(int length)
    {
        var input = new byte[length];
        for (var i = 0; i < length; i++)
        {
            input[i] = (byte)(i % 251);
        }

        return input;
    }
}
