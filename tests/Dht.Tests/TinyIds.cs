using Overlay.Crypto;

namespace Overlay.Dht.Tests;

/// <summary>
/// The routing core always works on full 256-bit ids. For hand-checked routing tests this builds ids
/// whose top byte is the given 8-bit value and whose other 31 bytes are zero, so the bucket of id b
/// seen from id a is the number of leading bits a and b share in that byte (0..7).
/// </summary>
internal static class TinyIds
{
    public static PeerId Of(byte top)
    {
        Span<byte> bytes = stackalloc byte[PeerId.Size];
        bytes[0] = top;
        return PeerId.FromBytes(bytes);
    }

    public static byte Top(PeerId id)
    {
        Span<byte> bytes = stackalloc byte[PeerId.Size];
        id.WriteTo(bytes);
        return bytes[0];
    }
}
