using System.Net;

namespace Overlay.Transport.Admission;

/// <summary>
/// Decides which inbound connections a listener holds, before and after their handshake. Each remote
/// address holds at most its scope's per-address limit (<see cref="TransportOptions.MaxConnectionsPer"/>:
/// public, private, loopback). All addresses together hold at most
/// <see cref="TransportOptions.MaxPendingHandshakes"/> connections in their handshake (the costly
/// phase: TLS state), and <see cref="SilentPerHandshake"/> times as many that have not sent a byte
/// yet (a socket each). No limit ever turns away a newcomer in favour of an unauthenticated
/// connection: when one would, an unauthenticated connection (of that address, or of all) is shed
/// instead, the oldest that has not sent a byte before any in its handshake (<see cref="PendingQueue"/>).
/// So a flood of silent or slow connections costs bounded memory and cannot lock out a peer, or the
/// local <c>overlay ping</c>, that starts its handshake promptly; only an address whose every slot
/// holds an authenticated connection is refused. Thread-safe; one lock.
/// </summary>
internal sealed class InboundAdmission
{
    /// <summary>
    /// Connections that have sent nothing yet are held up to this many times
    /// <see cref="TransportOptions.MaxPendingHandshakes"/>. They cost a socket and a few hundred bytes,
    /// and a slow dialler (a CLI that has just started, a loaded machine) may take a while before its
    /// first byte: the larger line gives it time under a flood of connections that never speak.
    /// </summary>
    public const int SilentPerHandshake = 16;

    /// <summary>
    /// How long a connection is safe from being shed to make room on its own address. Several connections
    /// wanting one address's last slot would otherwise shed each other in a chain as fast as they
    /// reconnect, and a dialler that takes a moment before its first byte (a command just started on a
    /// busy machine) would lose its place to the chain; past this age the oldest goes first as usual, and
    /// until then a newcomer to a full address is refused.
    /// </summary>
    public static readonly TimeSpan AddressShedGrace = TimeSpan.FromSeconds(1);

    /// <summary>Silent candidates asked whether they have spoken meanwhile, at most, per shed.</summary>
    private const int MaxProbesPerShed = 8;

    private readonly TransportOptions _options;
    private readonly TimeProvider _time;
    private readonly object _lock = new();
    private readonly Dictionary<IPAddress, AddressLoad> _byAddress = [];
    private readonly PendingQueue _pending = new();
    private long _sequence;

    public InboundAdmission(TransportOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _options = options;
        _time = time;
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

    /// <summary>Connections admitted whose handshake is under way.</summary>
    public int HandshakingCount
    {
        get
        {
            lock (_lock)
            {
                return _pending.SpeakingCount;
            }
        }
    }

    private int SilentBudget => _options.MaxPendingHandshakes * SilentPerHandshake;

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
    /// <paramref name="hasSpoken"/>, when given, tells whether the connection's first bytes have arrived
    /// (a cheap, non-blocking check); it is asked before the connection is shed as silent.
    /// </summary>
    public AdmissionTicket? TryAdmit(IPAddress remote, List<AdmissionTicket> shed, out ConnectionRefusal refusal, Func<bool>? hasSpoken = null)
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
                if (VictimLocked(load.Pending, shed) is not { } oldestOfAddress || _time.GetElapsedTime(oldestOfAddress.AdmittedAt) < AddressShedGrace)
                {
                    refusal = new ConnectionRefusal(RefusalReason.AddressLimit, remote, limit);
                    ForgetIfEmpty(remote, load);
                    return null;
                }

                ShedLocked(oldestOfAddress, new ConnectionRefusal(RefusalReason.PendingLimit, remote, limit), shed);
            }

            if (_pending.SilentCount >= SilentBudget && VictimLocked(_pending, shed) is { } oldest)
            {
                ShedLocked(oldest, new ConnectionRefusal(RefusalReason.PendingLimit, oldest.Remote, SilentBudget), shed);
            }

            // Shedding may have emptied this address and dropped its entry: the newcomer puts it back.
            _byAddress.TryAdd(remote, load);
            var ticket = new AdmissionTicket(remote, load, _sequence++, _time.GetTimestamp(), hasSpoken);
            ticket.AllPending = _pending.Add(ticket);
            ticket.AddressPending = load.Pending.Add(ticket);
            refusal = default;
            return ticket;
        }
    }

    /// <summary>
    /// The connection of <paramref name="ticket"/> sent its first byte: its handshake is under way, and
    /// silent connections are shed before it. If more handshakes are now under way than
    /// <see cref="TransportOptions.MaxPendingHandshakes"/>, the oldest is shed (added to <paramref name="shed"/>).
    /// </summary>
    public void Speaking(AdmissionTicket ticket, List<AdmissionTicket> shed)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        ArgumentNullException.ThrowIfNull(shed);
        lock (_lock)
        {
            MarkSpeakingLocked(ticket, shed);
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
    private void MarkSpeakingLocked(AdmissionTicket ticket, List<AdmissionTicket> shed)
    {
        if (ticket.State != TicketState.Pending)
        {
            return;
        }

        _pending.MarkSpeaking(ticket.AllPending!);
        ticket.Load.Pending.MarkSpeaking(ticket.AddressPending!);
        while (_pending.SpeakingCount > _options.MaxPendingHandshakes && _pending.OldestSpeaking is { } oldest)
        {
            ShedLocked(oldest, new ConnectionRefusal(RefusalReason.PendingLimit, oldest.Remote, _options.MaxPendingHandshakes), shed);
        }
    }

    // Under _lock. The pending connection of queue to shed: the oldest silent one, after asking the
    // oldest few whether their first bytes came meanwhile (those move to the speaking line instead).
    private AdmissionTicket? VictimLocked(PendingQueue queue, List<AdmissionTicket> shed)
    {
        for (var probes = 0; probes < MaxProbesPerShed && queue.OldestSilent is { } candidate; probes++)
        {
            if (!candidate.HasSpoken())
            {
                return candidate;
            }

            MarkSpeakingLocked(candidate, shed);
        }

        return queue.Oldest;
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
