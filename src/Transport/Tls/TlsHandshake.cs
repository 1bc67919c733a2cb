using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Overlay.Crypto;

namespace Overlay.Transport.Tls;

/// <summary>
/// TLS 1.3 settings shared by TCP and QUIC, and the per-handshake record of what the peer proved.
/// Validation ignores the X.509 chain (there is no CA: every certificate is self-signed) and
/// instead requires the identity binding of <see cref="IdentityCertificate"/>, plus the pinned
/// PeerId when the dialler named one.
/// </summary>
internal sealed class TlsHandshake
{
    /// <summary>The ALPN protocol id of wire version 2 (frames name their protocol); it changes with the frame version.</summary>
    public static readonly SslApplicationProtocol Alpn = new("overlay/2");

    private readonly PeerId? _expected;
    private readonly TimeProvider _time;

    public TlsHandshake(PeerId? expected, TimeProvider time)
    {
        _expected = expected;
        _time = time;
    }

    /// <summary>The identity the peer proved, once validation passed.</summary>
    public PeerId? Peer { get; private set; }

    /// <summary>Why validation refused the peer, if it did.</summary>
    public TransportException? Failure { get; private set; }

    public static SslClientAuthenticationOptions ClientOptions(SslStreamCertificateContext certificate, TlsHandshake state) => new()
    {
        // Peers are named by PeerId, not by DNS; the name is fixed and never checked.
        TargetHost = "overlay",
        EnabledSslProtocols = SslProtocols.Tls13,
        ClientCertificateContext = certificate,
        ApplicationProtocols = [Alpn],
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        CertificateChainPolicy = ChainPolicy(),
        RemoteCertificateValidationCallback = state.Validate,
    };

    public static SslServerAuthenticationOptions ServerOptions(SslStreamCertificateContext certificate, TlsHandshake state) => new()
    {
        EnabledSslProtocols = SslProtocols.Tls13,
        ServerCertificateContext = certificate,

        // Both sides authenticate: a listener must know who dialled it.
        ClientCertificateRequired = true,
        ApplicationProtocols = [Alpn],
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        CertificateChainPolicy = ChainPolicy(),
        RemoteCertificateValidationCallback = state.Validate,
    };

    /// <summary>
    /// The X.509 chain is never trusted here (the binding is what counts), but SslStream builds it
    /// anyway before calling <see cref="Validate"/>. An empty custom root store, no downloads and no
    /// revocation keep that build from searching system stores or the network for every handshake.
    /// </summary>
    private static X509ChainPolicy ChainPolicy() => new()
    {
        TrustMode = X509ChainTrustMode.CustomRootTrust,
        RevocationMode = X509RevocationMode.NoCheck,
        DisableCertificateDownloads = true,
        VerificationFlags = X509VerificationFlags.AllFlags,
    };

    /// <summary>The validation callback: the binding must hold, and the pin if there is one.</summary>
    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (!IdentityCertificate.TryVerify(certificate, _time.GetUtcNow(), out var peer, out var reason))
        {
            Failure = new TransportException(TransportError.HandshakeFailed, reason);
            return false;
        }

        if (_expected is { } expected && expected != peer)
        {
            Failure = new TransportException(TransportError.IdentityMismatch, $"The peer proved the identity {peer}, not the pinned {expected}.");
            return false;
        }

        Peer = peer;
        return true;
    }
}
