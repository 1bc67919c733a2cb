using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using Overlay.Crypto.MlDsa;
using Overlay.Crypto.Sodium;

namespace Overlay.Crypto;

/// <summary>
/// A node's public identity key in its versioned encoding <c>[scheme byte][key bytes]</c>. The node's
/// <see cref="Crypto.PeerId"/> is BLAKE3-256 of exactly these bytes, so the scheme is bound into the id.
/// </summary>
public sealed class IdentityPublicKey : IEquatable<IdentityPublicKey>
{
    /// <summary>Encoded size of an Ed25519 identity key: 1 + 32 bytes.</summary>
    public const int Ed25519EncodedSize = 1 + Ed25519Algorithm.PublicKeyLength;

    /// <summary>Size of the ML-DSA-65 public key inside a hybrid identity key (FIPS 204 Table 2).</summary>
    public const int MlDsa65PublicKeySize = 1952;

    /// <summary>Encoded size of a hybrid Ed25519 + ML-DSA-65 identity key: 1 + 32 + 1952 bytes.</summary>
    public const int HybridEncodedSize = 1 + Ed25519Algorithm.PublicKeyLength + MlDsa65PublicKeySize;

    /// <summary>Largest encoded key of any scheme this build knows.</summary>
    public const int MaxEncodedSize = HybridEncodedSize;

    private readonly byte[] _encoded;

    private IdentityPublicKey(byte[] encoded)
    {
        _encoded = encoded;
        PeerId = PeerId.FromPublicKeyMaterial(encoded);
    }

    /// <summary>The node identifier: BLAKE3-256 of <see cref="Encoded"/>.</summary>
    public PeerId PeerId { get; }

    /// <summary>The versioned encoding: scheme byte, then the scheme's key bytes.</summary>
    public ReadOnlySpan<byte> Encoded => _encoded;

    /// <summary>
    /// The scheme's key bytes without the scheme byte: for Ed25519 the raw 32-byte key, as it appears
    /// for example in an Ed25519 TLS certificate; for the hybrid scheme the Ed25519 key followed by the
    /// ML-DSA-65 key.
    /// </summary>
    public ReadOnlySpan<byte> KeyMaterial => _encoded.AsSpan(1);

    /// <summary>
    /// The raw 32-byte Ed25519 key of either scheme (the hybrid scheme's classical half). It is not an
    /// identity on its own: as a scheme-1 key it has another PeerId, and hybrid signatures never verify under it.
    /// </summary>
    public ReadOnlySpan<byte> Ed25519Key => _encoded.AsSpan(1, Ed25519Algorithm.PublicKeyLength);

    /// <summary>The 1952-byte ML-DSA-65 key of a hybrid identity; empty for an Ed25519-only one.</summary>
    public ReadOnlySpan<byte> MlDsa65Key =>
        _encoded[0] == (byte)IdentityScheme.HybridEd25519MlDsa65 ? _encoded.AsSpan(1 + Ed25519Algorithm.PublicKeyLength) : default;

    /// <summary>The signature scheme, from the first encoded byte.</summary>
    public IdentityScheme Scheme => (IdentityScheme)_encoded[0];

    /// <summary>Encoded size of this key's signatures.</summary>
    public int SignatureSize => IdentitySignature.TryGetSize(_encoded[0], out var size) ? size : 0;

    /// <summary>The encoded key size of <paramref name="scheme"/>; false for an unknown scheme byte.</summary>
    public static bool TryGetEncodedSize(byte scheme, out int size)
    {
        size = scheme switch
        {
            (byte)IdentityScheme.Ed25519 => Ed25519EncodedSize,
            (byte)IdentityScheme.HybridEd25519MlDsa65 => HybridEncodedSize,
            _ => 0,
        };
        return size != 0;
    }

    /// <summary>
    /// Decodes untrusted bytes. Fails (never throws) on an unknown scheme, a wrong length, or an Ed25519
    /// key (alone or as the hybrid's first half) that is not a canonical prime-order point: such keys are
    /// never generated honestly, and refusing them keeps one identity to one encoding and one PeerId.
    /// Every 1952-byte string is an ML-DSA-65 key (FIPS 204 pkDecode cannot fail), so the ML-DSA half
    /// needs no check here; a malformed one simply never verifies.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> encoded, [NotNullWhen(true)] out IdentityPublicKey? key)
    {
        key = null;
        if (encoded.IsEmpty || !TryGetEncodedSize(encoded[0], out var size) || encoded.Length != size)
        {
            return false;
        }

        if (!Algorithm.Ed25519.IsValidPublicKey(encoded.Slice(1, Ed25519Algorithm.PublicKeyLength)))
        {
            return false;
        }

        key = new IdentityPublicKey(encoded.ToArray());
        return true;
    }

    /// <summary>
    /// The identity key of a raw 32-byte Ed25519 public key (for example one taken from a peer's TLS
    /// certificate), with the same validation as <see cref="TryDecode"/>. Never throws on untrusted input.
    /// </summary>
    public static bool TryFromEd25519(ReadOnlySpan<byte> ed25519PublicKey, [NotNullWhen(true)] out IdentityPublicKey? key)
    {
        key = null;
        if (!Algorithm.Ed25519.IsValidPublicKey(ed25519PublicKey))
        {
            return false;
        }

        key = FromEd25519(ed25519PublicKey);
        return true;
    }

    /// <summary>Decodes trusted bytes; throws <see cref="FormatException"/> when they are not a valid identity key.</summary>
    public static IdentityPublicKey Decode(ReadOnlySpan<byte> encoded) =>
        TryDecode(encoded, out var key)
            ? key
            : throw new FormatException($"These {encoded.Length} bytes are not an encoded identity public key (scheme byte, then a valid key of that scheme).");

    /// <summary>Builds the encoding of a key this process derived itself (no validation needed).</summary>
    internal static IdentityPublicKey FromEd25519(ReadOnlySpan<byte> ed25519PublicKey)
    {
        var encoded = new byte[Ed25519EncodedSize];
        encoded[0] = (byte)IdentityScheme.Ed25519;
        ed25519PublicKey.CopyTo(encoded.AsSpan(1));
        return new IdentityPublicKey(encoded);
    }

    /// <summary>Builds the hybrid encoding of keys this process derived itself (no validation needed).</summary>
    internal static IdentityPublicKey FromHybrid(ReadOnlySpan<byte> ed25519PublicKey, ReadOnlySpan<byte> mlDsa65PublicKey)
    {
        var encoded = new byte[HybridEncodedSize];
        encoded[0] = (byte)IdentityScheme.HybridEd25519MlDsa65;
        ed25519PublicKey.CopyTo(encoded.AsSpan(1));
        mlDsa65PublicKey.CopyTo(encoded.AsSpan(1 + Ed25519Algorithm.PublicKeyLength));
        return new IdentityPublicKey(encoded);
    }

    /// <summary>
    /// True when <paramref name="signature"/> is this key's signature of <paramref name="message"/>. The
    /// signature's scheme byte must equal the key's, so a hybrid key can never be satisfied by a lone
    /// classical signature. A hybrid signature is valid only when its Ed25519 half and its ML-DSA-65 half
    /// both verify over the framed message (see <see cref="IdentitySignature"/>). Never throws on
    /// untrusted input.
    /// </summary>
    public bool Verify(ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        if (signature.IsEmpty || signature[0] != _encoded[0])
        {
            return false;
        }

        if (_encoded[0] == (byte)IdentityScheme.Ed25519)
        {
            return signature.Length == IdentitySignature.Ed25519Size
                && Algorithm.Ed25519.Verify(_encoded.AsSpan(1), message, signature[1..]);
        }

        return signature.Length == IdentitySignature.HybridSize && VerifyHybrid(message, signature);
    }

    private bool VerifyHybrid(ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        var length = IdentitySignature.HybridPrefixSize + message.Length;
        byte[]? rented = null;
        var framed = length <= IdentitySignature.StackFrameLimit
            ? stackalloc byte[IdentitySignature.StackFrameLimit]
            : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            framed = framed[..length];
            IdentitySignature.FrameHybridMessage(PeerId, message, framed);
            var edSignature = signature.Slice(1, Ed25519Algorithm.SignatureSize);
            var mlDsaSignature = signature[(1 + Ed25519Algorithm.SignatureSize)..];
            // Both halves must verify: the cheaper classical check runs first, and either failure rejects.
            return Algorithm.Ed25519.Verify(Ed25519Key, framed, edSignature)
                && MlDsaAlgorithm.Verify(IdentitySignature.MlDsaParameters, MlDsa65Key, framed, IdentitySignature.Context, mlDsaSignature);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <inheritdoc />
    public bool Equals(IdentityPublicKey? other) => other is not null && _encoded.AsSpan().SequenceEqual(other._encoded);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as IdentityPublicKey);

    /// <inheritdoc />
    public override int GetHashCode() => PeerId.GetHashCode();

    /// <summary>The scheme and the PeerId, e.g. <c>Ed25519:abcd…</c>.</summary>
    public override string ToString() => Scheme + ":" + PeerId;

    public static bool operator ==(IdentityPublicKey? left, IdentityPublicKey? right) => left is null ? right is null : left.Equals(right);

    public static bool operator !=(IdentityPublicKey? left, IdentityPublicKey? right) => !(left == right);
}
