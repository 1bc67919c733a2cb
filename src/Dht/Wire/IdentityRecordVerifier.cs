using Overlay.Crypto;
using Overlay.Dht.Records;

namespace Overlay.Dht.Wire;

/// <summary>
/// Checks record signatures with node identity keys: the publisher key bytes are an encoded
/// <see cref="IdentityPublicKey"/> (scheme byte, then the key), decoded without throwing, then verified. The keys
/// of publishers met before are kept decoded (<see cref="VerifyingKeyCache"/>): every STORE of a value
/// carries its publisher's key, and a node stores for the same publishers again and again.
/// </summary>
/// <param name="keys">The kept keys; a cache of <see cref="VerifyingKeyCache.DefaultCapacity"/> when null.</param>
public sealed class IdentityRecordVerifier(VerifyingKeyCache? keys = null) : IRecordSignatureVerifier
{
    /// <summary>The publishers' keys kept for their next signature.</summary>
    public VerifyingKeyCache Keys { get; } = keys ?? new VerifyingKeyCache();

    /// <inheritdoc/>
    public bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature) =>
        Keys.Verify(publicKey, message, signature);

    /// <inheritdoc/>
    /// <remarks>
    /// A PeerId is BLAKE3-256 of the encoded key, so this hashes and compares without decoding the key (a hybrid key's
    /// decode costs about as much as a verification); a key that hashes right but does not decode fails <see cref="Verify"/>.
    /// </remarks>
    public bool IsKeyOf(ReadOnlySpan<byte> publicKey, PeerId peer) => PeerId.FromPublicKeyMaterial(publicKey) == peer;

    /// <summary>
    /// True when <paramref name="publicKey"/> decodes and hashes to <paramref name="claimed"/>: a record or
    /// message that names its publisher's PeerId must carry the key behind that id.
    /// </summary>
    public static bool PublisherIs(ReadOnlySpan<byte> publicKey, PeerId claimed) =>
        IdentityPublicKey.TryDecode(publicKey, out var key) && key.PeerId == claimed;
}
