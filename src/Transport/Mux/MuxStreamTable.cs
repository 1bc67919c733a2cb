using System.Buffers;
using System.Buffers.Binary;
using Overlay.Transport.Framing;

namespace Overlay.Transport.Mux;

/// <summary>
/// The streams a <see cref="MuxConnection"/> carries in frames (TCP+TLS, in memory): ids (odd from the
/// dialler, even from the listener), opening and accepting under <see cref="TransportOptions.MaxStreamsPerConnection"/>,
/// and routing StreamData, StreamWindow and StreamReset frames to their stream. It owns the table and
/// its lock; frames leave through the connection.
/// </summary>
internal sealed class MuxStreamTable
{
    private readonly MuxConnection _connection;
    private readonly TransportOptions _options;
    private readonly object _lock = new();
    private readonly Dictionary<uint, MuxStream> _streams = [];
    private uint _nextId;
    private bool _refusing;

    public MuxStreamTable(MuxConnection connection, TransportOptions options, bool isInitiator)
    {
        _connection = connection;
        _options = options;
        _nextId = isInitiator ? 1u : 2u;
    }

    /// <summary>Opens a stream for <paramref name="protocol"/>: StreamOpen, then this side's window grant, in the stream's own queue.</summary>
    public async ValueTask<TransportStream> OpenAsync(ProtocolId protocol, CancellationToken cancellationToken)
    {
        MuxStream stream;
        lock (_lock)
        {
            if (_streams.Count >= _options.MaxStreamsPerConnection)
            {
                throw new TransportException(TransportError.LimitExceeded, $"The connection already has {_streams.Count} open streams, the configured maximum.");
            }

            stream = Create(protocol, _nextId);
            _nextId += 2;
            _streams.Add(stream.FrameId, stream);
        }

        _connection.BeginOperation();
        await _connection.SendStreamFrameAsync(stream, FrameType.StreamOpen, FrameFlags.None, ReadOnlyMemory<byte>.Empty, cancellationToken);
        if (stream.InitialGrant > 0)
        {
            // In the stream's own queue, so the grant never overtakes the open it refers to.
            var grant = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(grant, stream.InitialGrant);
            await _connection.SendStreamFrameAsync(stream, FrameType.StreamWindow, FrameFlags.None, grant, cancellationToken);
        }

        ProbeIfTuned(protocol);
        return stream;
    }

    /// <summary>From now on the peer's new streams are refused as busy (the connection is going away).</summary>
    public void RefuseNew()
    {
        lock (_lock)
        {
            _refusing = true;
        }
    }

    /// <summary>A StreamOpen from the peer. False when it broke the protocol (the caller closes the connection).</summary>
    public bool Accept(FrameHeader h)
    {
        // Stream ids are odd from the dialler and even from the listener, so the two never collide.
        var remoteOpensOdd = !_connection.IsInitiator;
        bool duplicate;
        lock (_lock)
        {
            duplicate = _streams.ContainsKey(h.Id);
        }

        if (((h.Id & 1) == 1) != remoteOpensOdd || h.PayloadLength != 0 || duplicate)
        {
            _connection.Dropped("bad_stream_id");
            return false;
        }

        var refusal = _connection.Inbound.ResolveStream(h.Protocol, out var protocol, out var handler);
        MuxStream? stream = null;
        if (refusal == ProtocolRefusal.None)
        {
            lock (_lock)
            {
                if (_streams.Count < _options.MaxStreamsPerConnection && !_refusing)
                {
                    stream = Create(protocol!, h.Id);
                    _streams.Add(h.Id, stream);
                }
            }

            if (stream is null)
            {
                _connection.Dropped("stream_limit");
                refusal = ProtocolRefusal.Busy;
            }
        }

        if (stream is null)
        {
            _connection.SendReset(h.Id, refusal);
            return true;
        }

        _connection.BeginOperation();
        if (stream.InitialGrant > 0)
        {
            _connection.SendWindowUpdate(h.Id, stream.InitialGrant);
        }

        ProbeIfTuned(protocol!);
        _ = _connection.Inbound.ServeStreamAsync(stream, handler!);
        return true;
    }

    /// <summary>StreamData from the peer. False when it overran the stream's window (the caller closes the connection).</summary>
    public bool OnData(FrameHeader h, ReadOnlySequence<byte> payload)
    {
        if (!TryGet(h.Id, out var stream))
        {
            // Data racing a reset we sent; harmless, but counted.
            _connection.Dropped("unknown_stream");
            return true;
        }

        if (!stream.OnData(payload, (h.Flags & FrameFlags.End) != 0))
        {
            _connection.Dropped("flow_control");
            return false;
        }

        return true;
    }

    /// <summary>StreamWindow from the peer. False when the grant is out of range (the caller closes the connection).</summary>
    public bool OnWindow(FrameHeader h, ReadOnlySequence<byte> payload)
    {
        Span<byte> bytes = stackalloc byte[4];
        payload.CopyTo(bytes);
        var increment = BinaryPrimitives.ReadUInt32BigEndian(bytes);
        if (increment == 0)
        {
            // A grant of nothing carries no meaning; only a broken or hostile peer sends one.
            _connection.Dropped("window_zero");
            return false;
        }

        if (!TryGet(h.Id, out var stream))
        {
            // A grant racing the stream's end (this side finished and forgot it): harmless.
            return true;
        }

        if (!stream.OnWindow(increment))
        {
            _connection.Dropped("window_overflow");
            return false;
        }

        return true;
    }

    public void OnReset(FrameHeader h, ReadOnlySequence<byte> payload)
    {
        if (TryGet(h.Id, out var stream))
        {
            var code = ProtocolRefusals.Read(payload.FirstSpan[0]);
            TransportMetrics.StreamReset(code);
            stream.Fail(ProtocolRefusals.StreamReset(_connection.RemotePeer, h.Id, code));
            Forget(stream);
        }
    }

    public void Forget(MuxStream stream)
    {
        bool removed;
        lock (_lock)
        {
            removed = _streams.TryGetValue(stream.FrameId, out var known) && ReferenceEquals(known, stream) && _streams.Remove(stream.FrameId);
        }

        if (removed)
        {
            _connection.EndOperation();
        }
    }

    /// <summary>The connection is torn down: every open stream fails with <paramref name="failure"/>.</summary>
    public void FailAll(TransportException failure)
    {
        MuxStream[] streams;
        lock (_lock)
        {
            streams = [.. _streams.Values];
        }

        foreach (var s in streams)
        {
            s.Fail(failure);
        }
    }

    /// <summary>
    /// A stream of <paramref name="protocol"/> with id <paramref name="id"/>: a bulk one starts from the
    /// connection's bulk window and grows where the connection tunes bulk windows; others keep
    /// <see cref="TransportOptions.StreamWindowBytes"/>.
    /// </summary>
    private MuxStream Create(ProtocolId protocol, uint id)
    {
        if (!Tuned(protocol))
        {
            return new MuxStream(_connection, protocol, id, _options.StreamWindowBytes);
        }

        var window = _connection.BulkWindows.Window;
        return new MuxStream(_connection, protocol, id, window, new ReceiveWindowTuner(window, _options.BulkStreamWindowMaxBytes, _connection.BulkWindows.SamplerForStream, _connection.Time));
    }

    private bool Tuned(ProtocolId protocol) => protocol.Class == TrafficClass.Bulk && _connection.BulkWindows.Tunes;

    /// <summary>A tuned stream needs the connection's round trip: ask for samples now, before its bytes queue on the path.</summary>
    private void ProbeIfTuned(ProtocolId protocol)
    {
        if (Tuned(protocol))
        {
            _connection.BulkWindows.SampleForStream();
        }
    }

    private bool TryGet(uint id, out MuxStream stream)
    {
        lock (_lock)
        {
            return _streams.TryGetValue(id, out stream!);
        }
    }
}
