using System.Buffers;
using System.Diagnostics.Metrics;
using Overlay.Crypto;
using Overlay.Dht;
using Overlay.Dht.Coordinates;
using Overlay.Dht.Records;
using Overlay.Dht.Routing;
using Overlay.Dht.Wire;
using Overlay.Transport;
using Overlay.Transport.InMemory;
using Overlay.Transport.Pooling;

namespace Overlay.Sim.Adversary;

/// <summary>
/// One malicious node of an eclipse attack. A colluder joins as an honest node does (its own routing table
/// and lookups over the real wire protocol, so honest nodes meet it as requester and as answerer); a Sybil
/// only listens and is named by colluders alone. Both answer PING honestly, so they stay in routing
/// tables. Everything else is a lie: FIND_NODE and FIND_VALUE get Sybils of the target when it is an
/// attacked key, else the k malicious nodes closest to it (sorted, well formed, so no format check can
/// tell); a
/// STORE is acknowledged and dropped; a FIND_VALUE for a key whose record the adversary captured earlier
/// gets that record back (stale once the publisher has updated it), and for any other key a record the
/// adversary signed itself with the highest sequence there is (forged: the record layer does not bind a
/// key to its publisher, so it validates).
/// </summary>
internal sealed class EclipseNode : IProtocolHandler
{
    // What the adversary reports as its coordinate: a fresh node's, which honest nodes weigh least.
    private static readonly VivaldiCoordinate Coordinate = new(0, 0, 50);
    private const double CoordinateError = 1.5;

    private readonly Colluders _colluders;
    private readonly DhtOptions _options;
    private readonly NodeIdentity _forger;
    private readonly TimeProvider _time;
    private readonly InMemoryTransport _transport;
    private readonly ConnectionPool _pool;
    private readonly RoutingTable _table;
    private readonly DhtClient _client;
    private readonly TransportDhtRpc _rpc;
    private readonly Random _random;
    private readonly int _index;
    private string? _address;

    public EclipseNode(int index, PeerId id, InMemoryNetwork net, Colluders colluders, DhtOptions options, NodeIdentity forger, Meter meter, Random random)
    {
        Id = id;
        _index = index;
        _colluders = colluders;
        _options = options;
        _forger = forger;
        _time = net.Clock;
        _random = random;
        var transportOptions = new TransportOptions();
        _transport = net.CreateNode(id, new ProtocolDispatcher(ProtocolIds.Dht, this), transportOptions);
        _pool = new ConnectionPool(_transport, transportOptions, _time);
        _table = new RoutingTable(id, options, _time.GetUtcNow());
        var validator = new RecordValidator(options, new IdentityRecordVerifier());
        _rpc = new TransportDhtRpc(_pool, options, _time, validator, new DhtMetrics(meter), () => _address);
        _client = new DhtClient(_table, _rpc, options, _time, validator: validator);
    }

    public PeerId Id { get; }

    public string Address => _address ?? throw new InvalidOperationException("The node has not started.");

    /// <summary>Listens; a Sybil (<paramref name="sybilOf"/> set) is then only ever named by colluders, never announced.</summary>
    public async Task StartAsync(PeerId? sybilOf = null)
    {
        var listener = await _transport.ListenAsync(_transport.Host, CancellationToken.None);
        _address = listener.LocalAddress.WithPeer(null).ToString();
        var peer = new DhtPeer(Id, _address, default);
        if (sybilOf is { } key)
        {
            _colluders.AddSybil(key, peer);
        }
        else
        {
            _colluders.Add(peer);
        }

        _ = listener.DrainAcceptedAsync();
    }

    /// <summary>Joins as <see cref="DhtNode.BootstrapAsync"/> does: ping the seed, look up its own id, refresh the buckets up to its closest neighbour.</summary>
    public async Task JoinAsync(TransportAddress seed)
    {
        var peer = new DhtPeer(seed.ExpectedPeer!.Value, seed.WithPeer(null).ToString(), default);
        try
        {
            using var timeout = new CancellationTokenSource(_options.RequestTimeout, _time);
            await _rpc.PingAsync(peer, timeout.Token);
            _table.Observe(peer.Id, default, _time.GetUtcNow(), double.NaN, peer.Address);
        }
        catch (Exception ex) when (ex is TransportException or OperationCanceledException or DhtProtocolException)
        {
            return;
        }

        var self = await _client.FindClosestAsync(Id, CancellationToken.None);
        var deepest = 0;
        foreach (var p in self.Closest)
        {
            deepest = Math.Max(deepest, Math.Min(Id.Xor(p.Id).LeadingZeroCount(), RoutingTable.BucketCount - 1));
        }

        for (var bucket = 0; bucket < deepest; bucket++)
        {
            await _client.FindClosestAsync(_table.RandomIdInBucket(bucket, _random), CancellationToken.None);
        }
    }

    public ValueTask HandleRequestAsync(ITransportConnection connection, ReadOnlyMemory<byte> request, IBufferWriter<byte> response, CancellationToken cancellationToken)
    {
        if (!DhtMessageCodec.TryDecode(request.Span, _options, out var message, out _))
        {
            DhtMessageCodec.WriteError(response, Coordinate, CoordinateError, DhtErrorCode.Malformed);
            return ValueTask.CompletedTask;
        }

        switch (message.Type)
        {
            case DhtMessageType.Ping:
                DhtMessageCodec.WritePong(response, Coordinate, CoordinateError);
                break;
            case DhtMessageType.Store:
                _colluders.Lies++;
                if (message.Record is { } stored)
                {
                    _colluders.Capture(stored);
                }

                DhtMessageCodec.WriteStored(response, Coordinate, CoordinateError, RecordRejection.None);
                break;
            case DhtMessageType.FindNode:
                _colluders.Lies++;
                DhtMessageCodec.WriteNodes(response, Coordinate, CoordinateError, _colluders.Answer(_index, message.Target, _options.K));
                break;
            case DhtMessageType.FindValue:
                _colluders.Lies++;
                _colluders.BadValues++;
                var record = _colluders.Captured(message.Target) ?? _colluders.Forged(message.Target, Forge);
                DhtMessageCodec.WriteValue(response, Coordinate, CoordinateError, record, [], _colluders.Answer(_index, message.Target, _options.K));
                break;
            default:
                DhtMessageCodec.WriteError(response, Coordinate, CoordinateError, DhtErrorCode.UnknownType);
                break;
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask HandleMessageAsync(ITransportConnection connection, ReadOnlyMemory<byte> message, CancellationToken cancellationToken) =>
        ValueTask.CompletedTask;

    public ValueTask HandleStreamAsync(ITransportConnection connection, TransportStream stream, CancellationToken cancellationToken) =>
        ValueTask.CompletedTask;

    private DhtRecord Forge(PeerId key) =>
        DhtRecord.Create(key, "forged"u8, _forger.PublicKey.Encoded, ulong.MaxValue, _time.GetUtcNow().AddHours(1), payload => _forger.Sign(payload));
}
