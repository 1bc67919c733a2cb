using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Overlay.Crypto;
using Overlay.Transport.Tls;

namespace Overlay.Transport.Tests.Tls;

public sealed class IdentityCertificateTests
{
    private static readonly Random Ids = new(11);

    private static X509Certificate2 WithExtension(byte[] extensionValue, DateTimeOffset? notAfter = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=overlay", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509Extension(new Oid(IdentityCertificate.ExtensionOid), extensionValue, critical: false));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddHours(-1), notAfter ?? now.AddYears(1));
    }

    private static byte[] SignedKey(ReadOnlySpan<byte> key, ReadOnlySpan<byte> signature)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteOctetString(key);
            writer.WriteOctetString(signature);
        }

        return writer.Encode();
    }

    [Fact]
    public void TryVerify_OwnCertificate_ProvesTheIdentity()
    {
        using var identity = NodeIdentity.FromRandom(Ids);
        using var certificate = IdentityCertificate.Create(identity, TimeProvider.System);
        Assert.True(IdentityCertificate.TryVerify(certificate, DateTimeOffset.UtcNow, out var peer, out var reason), reason);
        Assert.Equal(identity.PeerId, peer);
    }

    [Fact]
    public void TryVerify_KeyOfAnotherIdentitySignedByMe_IsRefused()
    {
        using var me = NodeIdentity.FromRandom(Ids);
        using var victim = NodeIdentity.FromRandom(Ids);
        using var forged = IdentityCertificate.CreateForged(me, victim.PublicKey, TimeProvider.System);
        Assert.False(IdentityCertificate.TryVerify(forged, DateTimeOffset.UtcNow, out _, out var reason));
        Assert.Contains("does not cover the certificate key", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void TryVerify_BindingCopiedOntoAnotherCertificateKey_IsRefused()
    {
        // Take a genuine extension and staple it onto a certificate with a different key.
        using var identity = NodeIdentity.FromRandom(Ids);
        using var genuine = IdentityCertificate.Create(identity, TimeProvider.System);
        var extension = genuine.Extensions[IdentityCertificate.ExtensionOid]!.RawData;
        using var stolen = WithExtension(extension);
        Assert.False(IdentityCertificate.TryVerify(stolen, DateTimeOffset.UtcNow, out _, out _));
    }

    [Fact]
    public void TryVerify_NoExtensionOrExpired_IsRefused()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var plain = new CertificateRequest("CN=x", key, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(1));
        Assert.False(IdentityCertificate.TryVerify(plain, DateTimeOffset.UtcNow, out _, out var reason));
        Assert.Contains("no identity extension", reason, StringComparison.Ordinal);

        using var identity = NodeIdentity.FromRandom(Ids);
        using var certificate = IdentityCertificate.Create(identity, TimeProvider.System);
        Assert.False(IdentityCertificate.TryVerify(certificate, DateTimeOffset.UtcNow.AddYears(2), out _, out reason));
        Assert.Contains("validity period", reason, StringComparison.Ordinal);
        Assert.False(IdentityCertificate.TryVerify(null, DateTimeOffset.UtcNow, out _, out _));
    }

    [Fact]
    public void TryVerify_MutatedExtensions_NeverThrowAndNeverPass()
    {
        using var identity = NodeIdentity.FromRandom(Ids);
        using var genuine = IdentityCertificate.Create(identity, TimeProvider.System);
        var original = genuine.Extensions[IdentityCertificate.ExtensionOid]!.RawData;
        var random = new Random(5);
        for (var i = 0; i < 150; i++)
        {
            byte[] value;
            if (i % 3 == 0)
            {
                value = new byte[random.Next(0, 120)];
                random.NextBytes(value);
            }
            else
            {
                value = (byte[])original.Clone();
                value[random.Next(value.Length)] ^= (byte)(1 << random.Next(8));
            }

            using var certificate = WithExtension(value);
            Assert.False(IdentityCertificate.TryVerify(certificate, DateTimeOffset.UtcNow, out _, out var reason));
            Assert.NotEmpty(reason);
        }

        // A well-formed SignedKey with an undecodable key is refused for the key.
        using var badKey = WithExtension(SignedKey([9, 9, 9], new byte[65]));
        Assert.False(IdentityCertificate.TryVerify(badKey, DateTimeOffset.UtcNow, out _, out var why));
        Assert.Contains("identity key", why, StringComparison.Ordinal);
    }
}
