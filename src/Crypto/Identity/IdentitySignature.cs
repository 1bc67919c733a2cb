using Overlay.Crypto.MlDsa;
using Overlay.Crypto.Sodium;

namespace Overlay.Crypto;

/// <summary>
/// Layout of identity signatures: <c>[scheme byte][scheme-specific signature bytes]</c>. Lets a frame
/// decoder size a signature field from its first byte before reading the rest.
/// </summary>
/// <remarks>
/// A hybrid signature signs, with both Ed25519 and ML-DSA-65, the same bytes
/// <c>M* = "overlay/identity/v1" ‖ 0x02 ‖ PeerId ‖ message</c>, and ML-DSA-65 additionally uses
/// <see cref="Context"/> as its FIPS 204 context string. The prefix is fixed-length, so M* parses one
/// way only. The scheme byte in M* stops either half from being replayed under another scheme (a
/// hybrid key's Ed25519 half never signs a bare message as scheme 1 does), and the PeerId, the hash of
/// both public keys, binds each half to the complete hybrid key: a half cannot be moved into another
/// hybrid key that shares the other half's key.
/// </remarks>
public static class IdentitySignature
{
    /// <summary>Encoded size of an Ed25519 identity signature: 1 + 64 bytes.</summary>
    public const int Ed25519Size = 1 + Ed25519Algorithm.SignatureSize;

    /// <summary>Size of the ML-DSA-65 signature inside a hybrid identity signature (FIPS 204 Table 2).</summary>
    public const int MlDsa65SignatureSize = 3309;

    /// <summary>Encoded size of a hybrid Ed25519 + ML-DSA-65 identity signature: 1 + 64 + 3309 bytes.</summary>
    public const int HybridSize = 1 + Ed25519Algorithm.SignatureSize + MlDsa65SignatureSize;

    /// <summary>Largest encoded signature of any scheme this build knows.</summary>
    public const int MaxSize = HybridSize;

    /// <summary>Length of the prefix hybrid signatures put in front of the message: context, scheme byte, PeerId.</summary>
    internal const int HybridPrefixSize = ContextLength + 1 + PeerId.Size;

    private const int ContextLength = 19;

    /// <summary>Framed messages up to this size live on the stack; larger ones borrow a pooled buffer.</summary>
    internal const int StackFrameLimit = 1024;

    /// <summary>
    /// The domain string of identity signatures, "overlay/identity/v1": the ML-DSA-65 context string of
    /// hybrid signatures and the first bytes of the message both halves sign.
    /// </summary>
    public static ReadOnlySpan<byte> Context => "overlay/identity/v1"u8;

    /// <summary>The encoded signature size of <paramref name="scheme"/>; false for an unknown scheme byte.</summary>
    public static bool TryGetSize(byte scheme, out int size)
    {
        size = scheme switch
        {
            (byte)IdentityScheme.Ed25519 => Ed25519Size,
            (byte)IdentityScheme.HybridEd25519MlDsa65 => HybridSize,
            _ => 0,
        };
        return size != 0;
    }

    /// <summary>The ML-DSA parameter set of the hybrid scheme.</summary>
    internal static MlDsaParameterSet MlDsaParameters => MlDsaParameterSet.MlDsa65;

    /// <summary>
    /// Writes M* (see the remarks on <see cref="IdentitySignature"/>) for <paramref name="peerId"/> and
    /// <paramref name="message"/> into <paramref name="destination"/>, which is exactly
    /// <see cref="HybridPrefixSize"/> + message length bytes.
    /// </summary>
    internal static void FrameHybridMessage(PeerId peerId, ReadOnlySpan<byte> message, Span<byte> destination)
    {
        Context.CopyTo(destination);
        destination[ContextLength] = (byte)IdentityScheme.HybridEd25519MlDsa65;
        peerId.WriteTo(destination.Slice(ContextLength + 1, PeerId.Size));
        message.CopyTo(destination[HybridPrefixSize..]);
    }
}
