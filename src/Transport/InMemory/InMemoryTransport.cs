using System.Net;
using Microsoft.Extensions.Logging;
using Overlay.Crypto;
using Overlay.Transport.Mux;

namespace Overlay.Transport.InMemory;

/// <summary>
/// One node's transport on an <see cref="InMemoryNetwork"/> (scheme <c>mem://</c>). Identities are
/// assigned by the network, which plays the part of the TLS handshake: a dial pinned to another
/// PeerId fails with <see cref="TransportError.IdentityMismatch"/>.
/// </summary>
public sealed class InMemoryTransport : ITransport
{
    private readonly InMemoryNetwork _network;
    private readonly HashSet<InMemoryLink> _links = [];
    private readonly List<InMemoryListener> _listeners = [];
    private int _nextPort = 1;
    private bool _dead;

    internal InMemoryTransport(InMemoryNetwork network, int index, IPAddress host, PeerId peer, ProtocolDispatcher protocols, TransportOptions options, ILogger logger)
    {
        _network = network;
        Index = index;
        HostAddress = host;
        PeerId = peer;
        Protocols = protocols;
        Options = options;
        Logger = logger;
    }

    /// <summary>The node's number on its network (creation order from 0).</summary>
    public int Index { get; }

    /// <summary>The node's identity.</summary>
    public PeerId PeerId { get; }

    /// <summary>The address <c>mem://10.x.y.z:0</c> of this node; listen on it (or on 0.0.0.0) with a port.</summary>
    public TransportAddress Host => TransportAddress.Create(TransportScheme.Memory, HostAddress, 0);

    /// <inheritdoc/>
    public TransportScheme Scheme => TransportScheme.Memory;

    /// <summary>Open connections of this node.</summary>
    public int ConnectionCount => _links.Count;

    internal IPAddress HostAddress { get; }

    internal ProtocolDispatcher Protocols { get; }

    internal TransportOptions Options { get; }

    internal ILogger Logger { get; }

    internal InMemoryNetwork Network => _network;

    /// <inheritdoc/>
    public ValueTask<ITransportListener> ListenAsync(TransportAddress address, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        Require(address);
        ObjectDisposedException.ThrowIf(_dead, this);
        if (!address.Host.Equals(IPAddress.Any) && !address.Host.Equals(HostAddress))
        {
            throw new TransportException(TransportError.UnsupportedAddress, $"Node {Index} owns {HostAddress}, not {address.HostText}.");
        }

        var port = address.Port == 0 ? _nextPort++ : address.Port;
        var listener = new InMemoryListener(this, TransportAddress.Create(TransportScheme.Memory, HostAddress, port, PeerId));
        _network.AddListener(listener);
        _listeners.Add(listener);
        return ValueTask.FromResult<ITransportListener>(listener);
    }

    /// <inheritdoc/>
    public async ValueTask<ITransportConnection> DialAsync(TransportAddress address, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        Require(address);
        ObjectDisposedException.ThrowIf(_dead, this);
        var started = _network.Clock.GetTimestamp();
        var target = _network.NodeAt(address.Host);
        if (target is { _dead: true })
        {
            await FailAsDeadHostAsync(address, started, cancellationToken);
        }

        var listener = _network.FindListener(address);
        if (target is null || listener is null)
        {
            // A live host with nothing on the port answers with a reset at once.
            throw new TransportException(TransportError.PeerUnreachable, $"Nothing listens on {address}.");
        }

        if (!_network.Reachable(Index, target.Index))
        {
            // A partition looks like silence: the dial gives up after the handshake timeout.
            await Task.Delay(Options.HandshakeTimeout, _network.Clock, cancellationToken);
            throw new TransportException(TransportError.PeerUnreachable, $"{address} did not answer within {Options.HandshakeTimeout}.");
        }

        // Connection set-up costs one round trip, as a TLS 1.3 or QUIC handshake does.
        var roundTrip = _network.DelayOf(Index, target.Index) + _network.DelayOf(target.Index, Index);
        await Task.Delay(roundTrip, _network.Clock, cancellationToken);
        if (address.ExpectedPeer is { } expected && expected != target.PeerId)
        {
            throw new TransportException(TransportError.IdentityMismatch, $"{address} proved the identity {target.PeerId}, not the pinned {expected}.");
        }

        if (target._dead)
        {
            await FailAsDeadHostAsync(address, started, cancellationToken);
        }

        if (_dead || listener.IsDisposed)
        {
            throw new TransportException(TransportError.PeerUnreachable, $"{address} went away during the handshake.");
        }

        var mine = new InMemoryLink(this, target);
        var theirs = new InMemoryLink(target, this);
        mine.Remote = theirs;
        theirs.Remote = mine;
        var client = new MuxConnection(mine, TransportScheme.Memory, target.PeerId, address, isInitiator: true, Protocols, Options, _network.Clock, Logger);
        var server = new MuxConnection(theirs, TransportScheme.Memory, PeerId, TransportAddress.Create(TransportScheme.Memory, HostAddress, 0, PeerId), isInitiator: false, target.Protocols, target.Options, _network.Clock, target.Logger);
        mine.Connection = client;
        theirs.Connection = server;
        _links.Add(mine);
        target._links.Add(theirs);
        listener.Offer(server);
        return client;
    }

    /// <summary>
    /// Kills the node as a crash would: its connections drop at once (peers learn one link delay
    /// later) and its listeners disappear.
    /// </summary>
    public void Kill()
    {
        _dead = true;
        foreach (var l in _listeners.ToArray())
        {
            l.Stop();
        }

        foreach (var link in _links.ToArray())
        {
            link.Connection?.OnLinkClosed(TransportError.Closed);
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        foreach (var l in _listeners.ToArray())
        {
            l.Stop();
        }

        foreach (var link in _links.ToArray())
        {
            if (link.Connection is { } c)
            {
                await c.CloseAsync();
            }
        }

        _dead = true;
    }

    /// <summary>
    /// A dial to a host that is gone meets silence, not a reset: it fails as a real dial does, with
    /// <see cref="TransportError.Timeout"/> once <see cref="InMemoryNetwork.DeadHostDialDelay"/> (by
    /// default this node's handshake timeout) has passed since <paramref name="started"/>.
    /// </summary>
    private async Task FailAsDeadHostAsync(TransportAddress address, long started, CancellationToken cancellationToken)
    {
        var delay = _network.DeadHostDialDelay ?? Options.HandshakeTimeout;
        var left = delay - _network.Clock.GetElapsedTime(started);
        if (left > TimeSpan.Zero)
        {
            await Task.Delay(left, _network.Clock, cancellationToken);
        }

        throw new TransportException(TransportError.Timeout, $"{address} did not answer within {delay}: its host is gone.");
    }

    internal void Forget(InMemoryLink link)
    {
        _links.Remove(link);

        // A simulated node that once had many links should not keep their slots while idle.
        var capacity = _links.EnsureCapacity(0);
        if (capacity > 16 && _links.Count < capacity / 4)
        {
            _links.TrimExcess();
        }
    }

    internal void Forget(InMemoryListener listener)
    {
        _listeners.Remove(listener);
        _network.RemoveListener(listener);
    }

    private static void Require(TransportAddress address)
    {
        if (address.Scheme != TransportScheme.Memory)
        {
            throw new TransportException(TransportError.UnsupportedAddress, $"The in-memory transport serves mem:// addresses, not {address}.");
        }
    }
}
