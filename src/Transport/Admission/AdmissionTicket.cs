using System.Net;

namespace Overlay.Transport.Admission;

/// <summary>
/// One inbound connection's place in an <see cref="InboundAdmission"/>: pending until its handshake
/// authenticates it, then established until it closes. A pending ticket may be shed to make room:
/// <see cref="Shed"/> is then cancelled and <see cref="ShedReason"/> says why. Its state changes only
/// under the admission's lock.
/// </summary>
internal sealed class AdmissionTicket : IDisposable
{
    private readonly CancellationTokenSource _shed = new();

    private readonly Func<bool>? _hasSpoken;

    internal AdmissionTicket(IPAddress remote, AddressLoad load, long sequence, long admittedAt, Func<bool>? hasSpoken)
    {
        Remote = remote;
        Load = load;
        Sequence = sequence;
        AdmittedAt = admittedAt;
        _hasSpoken = hasSpoken;
    }

    public IPAddress Remote { get; }

    /// <summary>Cancelled when the admission closes this pending connection to make room for a newer one.</summary>
    public CancellationToken Shed => _shed.Token;

    /// <summary>Why the connection was shed, once it was; else null.</summary>
    public ConnectionRefusal? ShedReason { get; private set; }

    /// <summary>Admission order: lower is older.</summary>
    public long Sequence { get; }

    /// <summary>The admission's <see cref="TimeProvider"/> timestamp when it was admitted.</summary>
    public long AdmittedAt { get; }

    internal AddressLoad Load { get; }

    internal TicketState State { get; set; } = TicketState.Pending;

    /// <summary>This ticket's node in the admission's queue of pending tickets.</summary>
    internal LinkedListNode<AdmissionTicket>? AllPending { get; set; }

    /// <summary>This ticket's node in its address's queue of pending tickets.</summary>
    internal LinkedListNode<AdmissionTicket>? AddressPending { get; set; }

    /// <summary>
    /// Whether the dialler's first bytes have arrived, asked of the connection itself: under a flood the
    /// task that would report them may not have run yet, and a peer must not be shed as silent for that.
    /// </summary>
    internal bool HasSpoken()
    {
        try
        {
            return _hasSpoken?.Invoke() ?? false;
        }
        catch (Exception ex) when (ex is ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            // Closed meanwhile: it goes first.
            return false;
        }
    }

    internal void MarkShed(ConnectionRefusal reason)
    {
        ShedReason = reason;
        State = TicketState.Shed;
    }

    /// <summary>Tells the connection's handshake to stop; called outside the admission's lock.</summary>
    internal void SignalShed() => _shed.Cancel();

    /// <summary>
    /// Frees the cancellation source once nothing can shed the ticket any more (it authenticated, or was
    /// released while pending). A shed ticket is never disposed: its connection's task may still be
    /// reading <see cref="Shed"/>, and a source without a timer holds nothing the collector cannot take.
    /// </summary>
    public void Dispose() => _shed.Dispose();
}
