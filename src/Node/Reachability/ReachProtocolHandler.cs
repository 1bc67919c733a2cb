using System.Buffers;
using System.Net;
using Overlay.Crypto;
using Overlay.Transport;

namespace Overlay.Node.Reachability;

/// <summary>
/// The inbound side of <c>reach/1</c> (<see cref="ProtocolIds.Reach"/>). TIME is answered with this node's
/// clock. DIAL_BACK makes this node open a new connection to the address the asker announces, expecting the
/// asker's PeerId there, and answer whether the handshake succeeded. So that a peer cannot aim this node at
/// anyone else, it dials only the PeerId the asker proved on this connection, at a host equal to the one the
/// connection comes from (any port), one dial back per peer per <see cref="PerPeerInterval"/>, at most
/// <see cref="MaxConcurrentDialBacks"/> at once; each refusal is answered with its status and counted.
/// Every answer carries the node's clock and the address the asker is seen from.
/// </summary>
public sealed class ReachProtocolHandler : IProtocolHandler
{
    /// <summary>One dial back per peer in this long: a check every few minutes needs no more.</summary>
    public static readonly TimeSpan PerPeerInterval = TimeSpan.FromMinutes(1);

    /// <summary>Dial backs in flight at once, over all peers.</summary>
    public const int MaxConcurrentDialBacks = 4;

    /// <summary>Peers whose last dial back is remembered; when full and none has aged out, DIAL_BACK is answered RateLimited.</summary>
    public const int MaxTrackedPeers = 4096;

    private readonly Func<ITransport> _transport;
    private readonly TimeProvider _time;
    private readonly ReachMetrics _metrics;
    private readonly TimeSpan _dialTimeout;
    private readonly bool _checkObservedHost;
    private readonly Dictionary<PeerId, long> _lastDialBack = [];
    private int _inFlight;

    /// <summary>Creates the handler.</summary>
    /// <param name="transport">The node's transport, asked for a new connection per dial back (never the pool: a pooled connection proves nothing about the address).</param>
    /// <param name="time">The clock answered, and of rate limits and the dial timeout.</param>
    /// <param name="metrics">Where answers are counted.</param>
    /// <param name="dialTimeout">The longest a dial back may take, handshake included.</param>
    public ReachProtocolHandler(Func<ITransport> transport, TimeProvider time, ReachMetrics metrics, TimeSpan dialTimeout)
        : this(transport, time, metrics, dialTimeout, checkObservedHost: true)
    {
    }

    /// <summary>As the public constructor; <paramref name="checkObservedHost"/> false turns the host check off (tests showing what it prevents).</summary>
    internal ReachProtocolHandler(Func<ITransport> transport, TimeProvider time, ReachMetrics metrics, TimeSpan dialTimeout, bool checkObservedHost)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(metrics);
        _transport = transport;
        _time = time;
        _metrics = metrics;
        _dialTimeout = dialTimeout;
        _checkObservedHost = checkObservedHost;
    }

    /// <inheritdoc/>
    public async ValueTask HandleRequestAsync(ITransportConnection connection, ReadOnlyMemory<byte> request, IBufferWriter<byte> response, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var observed = connection.RemoteAddress.WithPeer(null).ToString();
        if (!ReachCodec.TryReadType(request.Span, out var type, out var refusal))
        {
            Answer(response, "unknown", refusal, null, observed);
            return;
        }

        var typeTag = type == ReachRequestType.Time ? "time" : "dial_back";
        if (type == ReachRequestType.DialBack && !TryAdmit(connection.RemotePeer))
        {
            Answer(response, typeTag, ReachStatus.RateLimited, null, observed);
            return;
        }

        if (!ReachCodec.TryReadBody(request.Span, type, out var address))
        {
            Answer(response, typeTag, ReachStatus.Malformed, null, observed);
            return;
        }

        if (type == ReachRequestType.Time)
        {
            Answer(response, typeTag, ReachStatus.Time, null, observed);
            return;
        }

        if ((address!.ExpectedPeer is { } pinned && pinned != connection.RemotePeer) || (_checkObservedHost && !SameHost(address, connection.RemoteAddress)))
        {
            Answer(response, typeTag, ReachStatus.ForeignAddress, null, observed);
            return;
        }

        if (Interlocked.Increment(ref _inFlight) > MaxConcurrentDialBacks)
        {
            Interlocked.Decrement(ref _inFlight);
            Answer(response, typeTag, ReachStatus.Busy, null, observed);
            return;
        }

        TransportError? failure;
        try
        {
            failure = await DialAsync(address.WithPeer(connection.RemotePeer), cancellationToken).ConfigureAwait(true);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }

        Answer(response, typeTag, failure is null ? ReachStatus.Reachable : ReachStatus.Unreachable, failure, observed);
    }

    /// <inheritdoc/>
    public ValueTask HandleMessageAsync(ITransportConnection connection, ReadOnlyMemory<byte> message, CancellationToken cancellationToken) =>
        ValueTask.CompletedTask;

    /// <inheritdoc/>
    public ValueTask HandleStreamAsync(ITransportConnection connection, TransportStream stream, CancellationToken cancellationToken) =>
        ValueTask.CompletedTask;

    /// <summary>Whether both addresses name one IP host (an IPv4 address and its IPv6-mapped form are one host).</summary>
    internal static bool SameHost(TransportAddress announced, TransportAddress observed) =>
        IPAddress.TryParse(announced.HostText, out var a) && IPAddress.TryParse(observed.HostText, out var b) && Normal(a).Equals(Normal(b));

    private static IPAddress Normal(IPAddress ip) => ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip;

    /// <summary>Null when the handshake at <paramref name="target"/> proved the pinned PeerId, else why not.</summary>
    private async Task<TransportError?> DialAsync(TransportAddress target, CancellationToken cancellationToken)
    {
        using var deadline = new CancellationTokenSource(_dialTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            var connection = await _transport().DialAsync(target, linked.Token).ConfigureAwait(true);
            await connection.DisposeAsync().ConfigureAwait(true);
            return null;
        }
        catch (TransportException e)
        {
            return e.Reason;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return TransportError.Timeout;
        }
    }

    private bool TryAdmit(PeerId peer)
    {
        var now = _time.GetTimestamp();
        lock (_lastDialBack)
        {
            if (_lastDialBack.TryGetValue(peer, out var last) && _time.GetElapsedTime(last, now) < PerPeerInterval)
            {
                return false;
            }

            if (_lastDialBack.Count >= MaxTrackedPeers && !_lastDialBack.ContainsKey(peer))
            {
                foreach (var (id, at) in _lastDialBack.ToArray())
                {
                    if (_time.GetElapsedTime(at, now) >= PerPeerInterval)
                    {
                        _lastDialBack.Remove(id);
                    }
                }

                if (_lastDialBack.Count >= MaxTrackedPeers)
                {
                    return false;
                }
            }

            _lastDialBack[peer] = now;
            return true;
        }
    }

    private void Answer(IBufferWriter<byte> response, string type, ReachStatus status, TransportError? error, string observed)
    {
        ReachCodec.WriteAnswer(response, status, error, _time.GetUtcNow().ToUnixTimeMilliseconds(), observed);
        _metrics.Answer(type, status);
    }
}
