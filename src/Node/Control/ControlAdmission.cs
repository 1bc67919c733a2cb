namespace Overlay.Node.Control;

/// <summary>
/// Who may hold a control connection. A new connection waits, unauthenticated, in a small budget of its
/// own until its first request shows the token; only then does it take one of the authenticated slots,
/// so connections that never show a token cannot fill those. When the waiting budget is full the oldest
/// waiting connection is shed for the newcomer: the owner's client, which sends its request as soon as
/// it connects, is shed only if a whole budget's worth of connections arrives in that moment, whereas
/// refusing newcomers would let a few held connections keep it out for as long as they are held.
/// </summary>
internal sealed class ControlAdmission
{
    private readonly object _gate = new();
    private readonly LinkedList<Ticket> _waiting = new();
    private readonly int _maxWaiting;
    private readonly int _maxAuthenticated;
    private readonly bool _shedOldest;
    private int _authenticated;

    /// <param name="maxWaiting">Connections held before their first request (at least 1).</param>
    /// <param name="maxAuthenticated">Connections held after showing the token (at least 1).</param>
    /// <param name="shedOldest">
    /// True: a newcomer to a full waiting budget sheds the oldest waiting connection. False: the newcomer
    /// is refused; this is the policy the shedding defends against, kept so tests can show the difference.
    /// </param>
    public ControlAdmission(int maxWaiting, int maxAuthenticated, bool shedOldest = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxWaiting, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxAuthenticated, 1);
        _maxWaiting = maxWaiting;
        _maxAuthenticated = maxAuthenticated;
        _shedOldest = shedOldest;
    }

    /// <summary>Connections waiting to show the token.</summary>
    public int Waiting
    {
        get
        {
            lock (_gate)
            {
                return _waiting.Count;
            }
        }
    }

    /// <summary>Connections that have shown the token.</summary>
    public int Authenticated => Volatile.Read(ref _authenticated);

    /// <summary>Admits a new connection as waiting; null when the budget is full and shedding is off.</summary>
    public Ticket? TryAdmit()
    {
        Ticket? shed = null;
        var ticket = new Ticket();
        lock (_gate)
        {
            if (_waiting.Count >= _maxWaiting)
            {
                if (!_shedOldest)
                {
                    return null;
                }

                shed = _waiting.First!.Value;
                _waiting.RemoveFirst();
                shed.Node = null;
            }

            ticket.Node = _waiting.AddLast(ticket);
        }

        // Outside the lock, and asynchronously: the shed connection's read is cancelled by this, and its
        // continuation must not run on the accept loop (or re-enter this lock on the same thread).
        _ = shed?.Shedding.CancelAsync();
        return ticket;
    }

    /// <summary>Moves a waiting connection whose request showed the right token to an authenticated slot.</summary>
    public ControlAdmissionResult TryAuthenticate(Ticket ticket)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        lock (_gate)
        {
            if (ticket.Authenticated)
            {
                return ControlAdmissionResult.Admitted;
            }

            if (ticket.Node is null)
            {
                return ControlAdmissionResult.Shed;
            }

            _waiting.Remove(ticket.Node);
            ticket.Node = null;
            if (_authenticated >= _maxAuthenticated)
            {
                return ControlAdmissionResult.Full;
            }

            _authenticated++;
            ticket.Authenticated = true;
            return ControlAdmissionResult.Admitted;
        }
    }

    /// <summary>Gives back whatever the connection holds; called once, when it ends.</summary>
    public void Release(Ticket ticket)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        lock (_gate)
        {
            if (ticket.Node is not null)
            {
                _waiting.Remove(ticket.Node);
                ticket.Node = null;
            }

            if (ticket.Authenticated)
            {
                ticket.Authenticated = false;
                _authenticated--;
            }
        }
    }

    /// <summary>One connection's place. <see cref="Shed"/> is cancelled when a newcomer sheds it.</summary>
    internal sealed class Ticket
    {
        // Never disposed: it holds no timer, and a shedder may cancel it just as its connection ends.
        internal CancellationTokenSource Shedding { get; } = new();

        internal LinkedListNode<Ticket>? Node { get; set; }

        internal bool Authenticated { get; set; }

        /// <summary>Cancelled when this connection is shed.</summary>
        public CancellationToken Shed => Shedding.Token;
    }
}
