namespace Overlay.Transport.Admission;

/// <summary>Why a listener turned a connection away before its handshake finished.</summary>
internal enum RefusalReason
{
    /// <summary>The remote address holds as many connections as its scope's per-address limit allows, none of them sheddable.</summary>
    AddressLimit,

    /// <summary>The connection was shed to make room: unauthenticated, and the first in line (<see cref="PendingQueue"/>) when a budget or its address's limit was reached.</summary>
    PendingLimit,
}
