using Overlay.Crypto;

namespace Overlay.Node.Trust;

/// <summary>One issuer whose record a <c>trust/1</c> RECORDS request asks for, and whether the asker needs the issuer's identity key with it.</summary>
public readonly record struct TrustRecordWant(PeerId Issuer, bool WantKey);
