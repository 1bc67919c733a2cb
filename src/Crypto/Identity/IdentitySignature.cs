using Overlay.Crypto.Sodium;

namespace Overlay.Crypto;

/// <summary>
/// Layout of identity signatures: <c>[scheme byte][scheme-specific signature bytes]</c>. Lets a frame
/// decoder size a signature field from its first byte before reading the rest.
/// </summary>
public static class IdentitySignature
{
    /// <summary>Encoded size of an Ed25519 identity signature: 1 + 64 bytes.</summary>
    public const int Ed25519Size = 1 + Ed25519Algorithm.SignatureSize;

    /// <summary>Largest encoded signature of any scheme this build knows.</summary>
    public const int MaxSize = Ed25519Size;

    /// <summary>The encoded signature size of <paramref name="scheme"/>; false for an unknown scheme byte.</summary>
    public static bool TryGetSize(byte scheme, out int size)
    {
        size = scheme switch
        {
            (byte)IdentityScheme.Ed25519 => Ed25519Size,
            _ => 0,
        };
        return size != 0;
    }
}
