namespace Overlay.Transport.Admission;

/// <summary>
/// Unauthenticated connections in arrival order, in two lines: those that have not sent a byte yet
/// and those that have (their handshake is under way). <see cref="Oldest"/> picks whom to shed: the
/// oldest silent one while there is one, else the oldest speaking one. A flood of connections that
/// never speak therefore only ever sheds its own members, never a peer already in its handshake.
/// Not thread-safe: its owner's lock guards it.
/// </summary>
internal sealed class PendingQueue
{
    private readonly LinkedList<AdmissionTicket> _silent = new();
    private readonly LinkedList<AdmissionTicket> _speaking = new();

    public int Count => _silent.Count + _speaking.Count;

    /// <summary>Connections that have not sent a byte yet.</summary>
    public int SilentCount => _silent.Count;

    /// <summary>Connections whose handshake is under way.</summary>
    public int SpeakingCount => _speaking.Count;

    /// <summary>The oldest connection whose handshake is under way, or null.</summary>
    public AdmissionTicket? OldestSpeaking => _speaking.First?.Value;

    /// <summary>The connection to shed first, or null when none is pending.</summary>
    public AdmissionTicket? Oldest => (_silent.First ?? _speaking.First)?.Value;

    /// <summary>The oldest connection not yet known to have spoken, or null.</summary>
    public AdmissionTicket? OldestSilent => _silent.First?.Value;

    /// <summary>Queues a new, silent connection; returns its node for later moves and removal.</summary>
    public LinkedListNode<AdmissionTicket> Add(AdmissionTicket ticket) => _silent.AddLast(ticket);

    /// <summary>Moves a connection that sent its first byte to the speaking line, keeping arrival order there.</summary>
    public void MarkSpeaking(LinkedListNode<AdmissionTicket> node)
    {
        if (node.List != _silent)
        {
            return;
        }

        _silent.Remove(node);

        // Tickets reach this line in the order their first byte came, which is close to arrival order;
        // walking back from the end keeps the line sorted by arrival at little cost.
        var after = _speaking.Last;
        while (after is not null && after.Value.Sequence > node.Value.Sequence)
        {
            after = after.Previous;
        }

        if (after is null)
        {
            _speaking.AddFirst(node);
        }
        else
        {
            _speaking.AddAfter(after, node);
        }
    }

    public void Remove(LinkedListNode<AdmissionTicket> node)
    {
        if (node.List == _silent || node.List == _speaking)
        {
            node.List.Remove(node);
        }
    }
}
