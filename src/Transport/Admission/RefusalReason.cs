namespace Overlay.Transport.Admission;

/// <summary>Why a listener turned a connection away before its handshake finished.</summary>
internal enum RefusalReason
{
    /// <summary>The remote address holds as many authenticated connections as its scope's per-address limit allows.</summary>
    AddressLimit,

    /// <summary>The connection was the oldest of <see cref="TransportOptions.MaxPendingHandshakes"/> still waiting for their handshake, or the oldest such one of an address at its limit.</summary>
    PendingLimit,
}
