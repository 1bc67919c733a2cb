namespace Overlay.Transport;

/// <summary>
/// The protocols a node serves, by wire number: the one inbound dispatcher every connection of the
/// node's transports consults. Each protocol is registered once, with its handler or without one
/// (then it is known but not started, and answered with <see cref="Framing.ProtocolRefusal.Unavailable"/>
/// until <see cref="Attach"/>); a number nobody registered is answered with
/// <see cref="Framing.ProtocolRefusal.UnsupportedProtocol"/>. Adding a protocol adds a registration,
/// never a branch. Lookups take no lock: they run for every inbound request.
/// </summary>
public sealed class ProtocolDispatcher
{
    private readonly Entry?[] _entries = new Entry?[256];
    private readonly object _gate = new();

    /// <summary>Creates a dispatcher that serves nothing yet.</summary>
    public ProtocolDispatcher()
    {
    }

    /// <summary>Creates a dispatcher that serves <paramref name="protocol"/> with <paramref name="handler"/>.</summary>
    public ProtocolDispatcher(ProtocolId protocol, IProtocolHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        Register(protocol, handler);
    }

    /// <summary>The registered protocols, by number.</summary>
    public IReadOnlyList<ProtocolId> Registered
    {
        get
        {
            var list = new List<ProtocolId>();
            for (var i = 0; i < _entries.Length; i++)
            {
                if (Volatile.Read(ref _entries[i]) is { } entry)
                {
                    list.Add(entry.Protocol);
                }
            }

            return list;
        }
    }

    /// <summary>The handler serving <paramref name="protocol"/> now, or null when it is not registered or not started.</summary>
    public IProtocolHandler? HandlerOf(ProtocolId protocol)
    {
        ArgumentNullException.ThrowIfNull(protocol);
        return Volatile.Read(ref _entries[protocol.Number]) is { } entry && entry.Protocol == protocol ? entry.Handler : null;
    }

    /// <summary>
    /// Registers <paramref name="protocol"/>. With a handler it is served at once; without one it is
    /// answered <c>Unavailable</c> until <see cref="Attach"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The protocol's number is already registered.</exception>
    public void Register(ProtocolId protocol, IProtocolHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(protocol);
        lock (_gate)
        {
            if (_entries[protocol.Number] is { } existing)
            {
                throw new InvalidOperationException($"Protocol number {protocol.Number} is already registered as {existing.Protocol.Name}; {protocol.Name} needs a number of its own.");
            }

            Volatile.Write(ref _entries[protocol.Number], new Entry(protocol, handler));
        }
    }

    /// <summary>Serves the registered <paramref name="protocol"/> with <paramref name="handler"/> from now on.</summary>
    /// <exception cref="InvalidOperationException">The protocol is not registered.</exception>
    public void Attach(ProtocolId protocol, IProtocolHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        Replace(protocol, handler);
    }

    /// <summary>Stops serving <paramref name="protocol"/> (it is stopping): peers are answered <c>Unavailable</c> again.</summary>
    /// <exception cref="InvalidOperationException">The protocol is not registered.</exception>
    public void Detach(ProtocolId protocol) => Replace(protocol, null);

    /// <summary>
    /// Finds who serves protocol <paramref name="number"/>. Returns <see cref="Framing.ProtocolRefusal.None"/>
    /// with the handler, or the refusal to answer with (the protocol is then set when it is known).
    /// </summary>
    internal Framing.ProtocolRefusal Resolve(byte number, out ProtocolId? protocol, out IProtocolHandler? handler)
    {
        var entry = Volatile.Read(ref _entries[number]);
        protocol = entry?.Protocol;
        handler = entry?.Handler;
        return entry is null ? Framing.ProtocolRefusal.UnsupportedProtocol
            : handler is null ? Framing.ProtocolRefusal.Unavailable
            : Framing.ProtocolRefusal.None;
    }

    private void Replace(ProtocolId protocol, IProtocolHandler? handler)
    {
        ArgumentNullException.ThrowIfNull(protocol);
        lock (_gate)
        {
            if (_entries[protocol.Number] is not { } existing || existing.Protocol != protocol)
            {
                throw new InvalidOperationException($"{protocol.Name} is not registered with this dispatcher.");
            }

            Volatile.Write(ref _entries[protocol.Number], new Entry(protocol, handler));
        }
    }

    private sealed record Entry(ProtocolId Protocol, IProtocolHandler? Handler);
}
