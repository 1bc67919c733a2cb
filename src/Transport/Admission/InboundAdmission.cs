using System.Net;

namespace Overlay.Transport.Admission;

/// <summary>
/// Decides which inbound connections a listener holds, before and after their handshake. Two limits:
/// each remote address holds at most its scope's per-address limit
/// (<see cref="TransportOptions.MaxConnectionsPer"/>: public, private, loopback), and all addresses
/// together hold at most <see cref="TransportOptions.MaxPendingHandshakes"/> connections that have
/// not yet authenticated. Neither limit ever turns away a newcomer in favour of an unauthenticated
/// connection: when one would, the oldest unauthenticated connection (of that address, or of all)
/// is shed instead. So a flood of silent or slow connections costs bounded memory and cannot lock
/// out a peer, or the local <c>overlay ping</c>, whose handshake completes promptly; only an address
/// whose every slot holds an authenticated connection is refused. Thread-safe; one lock.
/// </summary>
internal sealed class InboundAdmission
{
    private readonly TransportOptions _options;
    private readonly object _lock = new();
    private readonly Dictionary<IPAddress, AddressLoad> _byAddress = [];
    private readonly LinkedList<AdmissionTicket> _pending = new();
    private long _sequence;

    public InboundAdmission(TransportOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
    }

    /// <summary>Connections admitted and not yet authenticated.</summary>
    public int PendingCount
    {
        get
        {
            lock (_lock)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>Authenticated connections not yet released.</summary>
    public int EstablishedCount { get; private set; }

    /// <summary>Remote addresses that hold at least one connection.</summary>
    public int AddressCount
    {
        get
        {
            lock (_lock)
            {
                return _byAddress.Count;
            }
        }
    }

    /// <summary>
    /// Admits a new connection from <paramref name="remote"/>, or refuses it (null, with
    /// <paramref name="refusal"/>) when every slot of its address holds an authenticated connection.
    /// Tickets shed to make room are added to <paramref name="shed"/>; the caller calls
    /// <see cref="AdmissionTicket.SignalShed"/> on each once it holds no lock.
    /// </summary>
    public AdmissionTicket? TryAdmit(IPAddress remote, List<AdmissionTicket> shed, out ConnectionRefusal refusal)
    {
        ArgumentNullException.ThrowIfNull(remote);
        ArgumentNullException.ThrowIfNull(shed);
        var limit = _options.MaxConnectionsPer(AddressScopes.Of(remote));
        lock (_lock)
        {
            if (!_byAddress.TryGetValue(remote, out var load))
            {
                load = new AddressLoad();
                _byAddress.Add(remote, load);
            }

            if (load.Total >= limit)
            {
                if (load.Pending.First is not { } oldestOfAddress)
                {
                    refusal = new ConnectionRefusal(RefusalReason.AddressLimit, remote, limit);
                    ForgetIfEmpty(remote, load);
                    return null;
                }

                ShedLocked(oldestOfAddress.Value, new ConnectionRefusal(RefusalReason.PendingLimit, remote, limit), shed);
            }

            if (_pending.Count >= _options.MaxPendingHandshakes && _pending.First is { } oldest)
            {
                ShedLocked(oldest.Value, new ConnectionRefusal(RefusalReason.PendingLimit, oldest.Value.Remote, _options.MaxPendingHandshakes), shed);
            }

            // Shedding may have emptied this address and dropped its entry: the newcomer puts it back.
            _byAddress.TryAdd(remote, load);
            var ticket = new AdmissionTicket(remote, load, _sequence++);
            ticket.AllPending = _pending.AddLast(ticket);
            ticket.AddressPending = load.Pending.AddLast(ticket);
            refusal = default;
            return ticket;
        }
    }

    /// <summary>
    /// Moves a ticket whose handshake succeeded to the established connections. False when it was shed
    /// (or released) first: the caller then closes the connection.
    /// </summary>
    public bool Authenticated(AdmissionTicket ticket)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        lock (_lock)
        {
            if (ticket.State != TicketState.Pending)
            {
                return false;
            }

            Unlink(ticket);
            ticket.State = TicketState.Established;
            ticket.Load.Established++;
            EstablishedCount++;
        }

        ticket.Dispose();
        return true;
    }

    /// <summary>The connection of <paramref name="ticket"/> is gone; its slot is free. Idempotent.</summary>
    public void Release(AdmissionTicket ticket)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        var wasPending = false;
        lock (_lock)
        {
            switch (ticket.State)
            {
                case TicketState.Pending:
                    Unlink(ticket);
                    wasPending = true;
                    break;
                case TicketState.Established:
                    ticket.Load.Established--;
                    EstablishedCount--;
                    break;
                default:
                    return;
            }

            ticket.State = TicketState.Released;
            ForgetIfEmpty(ticket.Remote, ticket.Load);
        }

        if (wasPending)
        {
            ticket.Dispose();
        }
    }

    // Under _lock.
    private void ShedLocked(AdmissionTicket ticket, ConnectionRefusal reason, List<AdmissionTicket> shed)
    {
        Unlink(ticket);
        ticket.MarkShed(reason);
        ForgetIfEmpty(ticket.Remote, ticket.Load);
        shed.Add(ticket);
    }

    // Under _lock.
    private void Unlink(AdmissionTicket ticket)
    {
        if (ticket.AllPending is { } all)
        {
            _pending.Remove(all);
            ticket.AllPending = null;
        }

        if (ticket.AddressPending is { } mine)
        {
            ticket.Load.Pending.Remove(mine);
            ticket.AddressPending = null;
        }
    }

    // Under _lock. A flood from many addresses must not leave their entries (or the table's slots) behind.
    private void ForgetIfEmpty(IPAddress remote, AddressLoad load)
    {
        if (load.Total > 0 || !_byAddress.TryGetValue(remote, out var current) || !ReferenceEquals(current, load))
        {
            return;
        }

        _byAddress.Remove(remote);
        var capacity = _byAddress.EnsureCapacity(0);
        if (capacity > 64 && _byAddress.Count < capacity / 4)
        {
            _byAddress.TrimExcess();
        }
    }
}
