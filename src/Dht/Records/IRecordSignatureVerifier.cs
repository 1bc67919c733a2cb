namespace Overlay.Dht.Records;

/// <summary>
/// Checks a record signature. The identity layer implements it for its key types (Ed25519 now, a
/// hybrid with ML-DSA later); the DHT only hands over the bytes.
/// </summary>
public interface IRecordSignatureVerifier
{
    /// <summary>True when <paramref name="signature"/> is a valid signature of <paramref name="message"/> under <paramref name="publicKey"/>.</summary>
    bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature);
}
