using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace Overlay.Crypto.MlDsa;

/// <summary>Wipes secret polynomial coefficients (s1, s2, t0, y, masks and their products) before their buffers are left or reused.</summary>
internal static class SecretWipe
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Ints(Span<int> values) =>
        CryptographicOperations.ZeroMemory(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values));
}
