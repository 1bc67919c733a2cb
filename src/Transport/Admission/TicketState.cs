namespace Overlay.Transport.Admission;

/// <summary>Where an <see cref="AdmissionTicket"/> stands.</summary>
internal enum TicketState
{
    /// <summary>Before or in the handshake; counts against the pending budget and may be shed.</summary>
    Pending,

    /// <summary>Authenticated; counts against its address's limit until released.</summary>
    Established,

    /// <summary>Closed by the admission to make room; no longer counted.</summary>
    Shed,

    /// <summary>Closed and no longer counted.</summary>
    Released,
}
