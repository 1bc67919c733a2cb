using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Overlay.Crypto;

namespace Overlay.Transport.Tls;

/// <summary>
/// The self-signed certificate a node presents in TLS (TCP and QUIC alike), modelled on libp2p's
/// TLS handshake: a fresh ECDSA P-256 certificate key, bound to the node's long-term identity by
/// an extension holding <c>SignedKey ::= SEQUENCE { publicKey OCTET STRING, signature OCTET STRING }</c>
/// where publicKey is the encoded <see cref="IdentityPublicKey"/> and signature is the identity's
/// signature over <c>"overlay-tls-handshake:" || SubjectPublicKeyInfo</c> of the certificate key.
/// The TLS handshake proves possession of the certificate key; the extension proves the identity
/// vouched for it. No CA is involved. See docs/PROTOCOL.md §Authentication.
/// </summary>
internal static class IdentityCertificate
{
    /// <summary>The extension's OID: the arc the libp2p project registered for this purpose.</summary>
    public const string ExtensionOid = "1.3.6.1.4.1.53594.1.1";

    /// <summary>Domain separation: an identity signature made here can never be replayed as another message type.</summary>
    private static ReadOnlySpan<byte> SignaturePrefix => "overlay-tls-handshake:"u8;

    /// <summary>Certificates are accepted this long before their NotBefore, for clock skew between peers.</summary>
    private static readonly TimeSpan AllowedSkew = TimeSpan.FromHours(1);

    /// <summary>Creates a certificate for <paramref name="identity"/>, valid from an hour ago for a year.</summary>
    public static X509Certificate2 Create(NodeIdentity identity, TimeProvider time)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=overlay", key, HashAlgorithmName.SHA256);
        var spki = key.ExportSubjectPublicKeyInfo();
        var signature = identity.Sign(Concat(SignaturePrefix, spki));
        request.CertificateExtensions.Add(new X509Extension(new Oid(ExtensionOid), EncodeSignedKey(identity.PublicKey.Encoded, signature), critical: false));
        var now = time.GetUtcNow();
        return request.CreateSelfSigned(now - AllowedSkew, now.AddYears(1));
    }

    /// <summary>
    /// Creates a certificate whose extension carries <paramref name="claimedKey"/> but a signature
    /// made by <paramref name="signer"/> over the certificate key — a forged binding (tests).
    /// </summary>
    internal static X509Certificate2 CreateForged(NodeIdentity signer, IdentityPublicKey claimedKey, TimeProvider time)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=overlay", key, HashAlgorithmName.SHA256);
        var signature = signer.Sign(Concat(SignaturePrefix, key.ExportSubjectPublicKeyInfo()));
        request.CertificateExtensions.Add(new X509Extension(new Oid(ExtensionOid), EncodeSignedKey(claimedKey.Encoded, signature), critical: false));
        var now = time.GetUtcNow();
        return request.CreateSelfSigned(now - AllowedSkew, now.AddYears(1));
    }

    /// <summary>
    /// Checks the binding of a presented certificate. Returns the proved identity, or false with a
    /// one-sentence reason. Never throws on malformed input.
    /// </summary>
    public static bool TryVerify(X509Certificate? presented, DateTimeOffset now, out PeerId peer, out string reason)
    {
        peer = default;
        if (presented is not X509Certificate2 certificate)
        {
            reason = "The peer presented no certificate.";
            return false;
        }

        try
        {
            if (now < certificate.NotBefore.ToUniversalTime() - AllowedSkew || now > certificate.NotAfter.ToUniversalTime())
            {
                reason = "The peer's certificate is outside its validity period.";
                return false;
            }

            X509Extension? extension = null;
            foreach (var e in certificate.Extensions)
            {
                if (e.Oid?.Value == ExtensionOid)
                {
                    if (extension is not null)
                    {
                        reason = "The peer's certificate carries the identity extension twice.";
                        return false;
                    }

                    extension = e;
                }
            }

            if (extension is null)
            {
                reason = "The peer's certificate has no identity extension.";
                return false;
            }

            if (!TryDecodeSignedKey(extension.RawData, out var encodedKey, out var signature))
            {
                reason = "The peer's identity extension is not a well-formed SignedKey.";
                return false;
            }

            if (!IdentityPublicKey.TryDecode(encodedKey, out var identityKey))
            {
                reason = "The peer's identity extension carries an unknown or malformed identity key.";
                return false;
            }

            var spki = certificate.PublicKey.ExportSubjectPublicKeyInfo();
            if (!identityKey.Verify(Concat(SignaturePrefix, spki), signature))
            {
                reason = "The identity signature in the peer's certificate does not cover the certificate key.";
                return false;
            }

            peer = identityKey.PeerId;
            reason = string.Empty;
            return true;
        }
        catch (Exception ex) when (ex is CryptographicException or AsnContentException or FormatException or ArgumentException)
        {
            // A hostile certificate must end in a refusal, never in an exception out of the TLS callback.
            reason = "The peer's certificate could not be parsed.";
            return false;
        }
    }

    private static byte[] EncodeSignedKey(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> signature)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteOctetString(publicKey);
            writer.WriteOctetString(signature);
        }

        return writer.Encode();
    }

    private static bool TryDecodeSignedKey(ReadOnlyMemory<byte> der, out byte[] publicKey, out byte[] signature)
    {
        publicKey = signature = [];
        try
        {
            var reader = new AsnReader(der, AsnEncodingRules.DER);
            var sequence = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            publicKey = sequence.ReadOctetString();
            signature = sequence.ReadOctetString();
            sequence.ThrowIfNotEmpty();
            return true;
        }
        catch (AsnContentException)
        {
            return false;
        }
    }

    private static byte[] Concat(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        var result = new byte[a.Length + b.Length];
        a.CopyTo(result);
        b.CopyTo(result.AsSpan(a.Length));
        return result;
    }
}
