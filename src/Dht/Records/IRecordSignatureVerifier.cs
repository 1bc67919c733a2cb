namespace Overlay.Dht.Records;

/// <summary>
/// Checks a record signature. The identity layer implements it for its key types (Ed25519 now, a
/// hybrid with ML-DSA later); the DHT only hands over the bytes.
/// </summary>
public interface IRecordSignatureVerifier
{
    /// <summary>True when <paramref name="signature"/> is a valid signature of <paramref name="message"/> under <paramref name="publicKey"/>.</summary>
    bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature);

    /// <summary>
    /// True when <paramref name="publicKey"/> is the key behind <paramref name="peer"/>'s id: a provider record
    /// names its provider by id and must carry that provider's key, or anyone could sign for anyone.
    /// </summary>
    bool IsKeyOf(ReadOnlySpan<byte> publicKey, Overlay.Crypto.PeerId peer);
}
