using System.Security.Cryptography;
using Overlay.Crypto;
using Overlay.Dht.Records;

namespace Overlay.Dht.Tests;

/// <summary>
/// A real signature scheme for record tests while node identities live elsewhere: ECDSA P-256 over
/// SHA-256, public keys as SubjectPublicKeyInfo.
/// </summary>
internal sealed class EcdsaRecordVerifier : IRecordSignatureVerifier
{
    public int Calls { get; private set; }

    /// <summary>ECDSA keys name no peer: no provider record verifies under them.</summary>
    public bool IsKeyOf(ReadOnlySpan<byte> publicKey, PeerId peer) => false;

    public bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        Calls++;
        using var ecdsa = ECDsa.Create();
        try
        {
            ecdsa.ImportSubjectPublicKeyInfo(publicKey, out var read);
            if (read != publicKey.Length)
            {
                return false;
            }
        }
        catch (CryptographicException)
        {
            // Malformed key material from the network is a failed verification, not an error.
            return false;
        }

        return ecdsa.VerifyData(message, signature, HashAlgorithmName.SHA256);
    }
}

internal sealed class EcdsaPublisher : IDisposable
{
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public EcdsaPublisher()
    {
        PublicKey = _key.ExportSubjectPublicKeyInfo();
    }

    public byte[] PublicKey { get; }

    public byte[] Sign(byte[] payload) => _key.SignData(payload, HashAlgorithmName.SHA256);

    public void Dispose() => _key.Dispose();
}
