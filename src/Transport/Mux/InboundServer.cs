using System.Buffers;
using Microsoft.Extensions.Logging;
using Overlay.Transport.Framing;

namespace Overlay.Transport.Mux;

/// <summary>
/// Serves what the peer sends one connection: each request, message and stream goes to the handler
/// the node's <see cref="ProtocolDispatcher"/> registered for the protocol it names. Cheapest checks
/// first: the protocol lookup (an array read) and its traffic class, then the concurrency bound, and
/// only then is the payload copied. Refusals are typed (<see cref="ProtocolRefusal"/>), counted in
/// <c>overlay.transport.frames_dropped{reason}</c>, logged at Debug and leave the connection open:
/// requests are answered with an error response, streams with a reset, and one-way messages, which
/// have no answer, are dropped. Requests and messages each have their own bound of
/// <see cref="TransportOptions.MaxConcurrentRequests"/> handler calls at once.
/// </summary>
internal sealed class InboundServer
{
    private readonly MuxConnection _connection;
    private readonly ProtocolDispatcher _protocols;
    private readonly TransportOptions _options;
    private readonly ILogger _logger;
    private int _requests;
    private int _messages;

    public InboundServer(MuxConnection connection, ProtocolDispatcher protocols, TransportOptions options, ILogger logger)
    {
        _connection = connection;
        _protocols = protocols;
        _options = options;
        _logger = logger;
    }

    public void ServeRequest(FrameHeader h, ReadOnlySequence<byte> payload)
    {
        var urgent = (h.Flags & FrameFlags.Urgent) != 0;
        var refusal = Resolve(h.Protocol, TrafficClass.Control, out var handler);
        if (refusal == ProtocolRefusal.None && (Interlocked.Increment(ref _requests) > _options.MaxConcurrentRequests || _connection.IsClosing))
        {
            Interlocked.Decrement(ref _requests);
            refusal = ProtocolRefusal.Busy;
        }

        if (refusal != ProtocolRefusal.None)
        {
            _connection.Dropped(refusal == ProtocolRefusal.Busy ? "request_limit" : ProtocolRefusals.Tag(refusal));
            _connection.SendRefusal(h.Id, urgent, refusal);
            return;
        }

        _connection.BeginOperation();
        var length = (int)payload.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(1, length));
        payload.CopyTo(buffer);
        _ = ServeRequestAsync(handler!, h.Id, urgent, buffer, length);
    }

    public void ServeMessage(FrameHeader h, ReadOnlySequence<byte> payload)
    {
        var refusal = Resolve(h.Protocol, TrafficClass.Control, out var handler);
        if (refusal == ProtocolRefusal.None && Interlocked.Increment(ref _messages) > _options.MaxConcurrentRequests)
        {
            Interlocked.Decrement(ref _messages);
            refusal = ProtocolRefusal.Busy;
        }

        if (refusal != ProtocolRefusal.None)
        {
            // A one-way message has nobody to answer: dropped and counted.
            _connection.Dropped(refusal == ProtocolRefusal.Busy ? "message_limit" : ProtocolRefusals.Tag(refusal));
            return;
        }

        var length = (int)payload.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(1, length));
        payload.CopyTo(buffer);
        _ = ServeMessageAsync(handler!, buffer, length);
    }

    /// <summary>
    /// Who serves a stream the peer opened for protocol <paramref name="number"/>; otherwise the
    /// refusal to reset it with, already counted. Streams may belong to either class.
    /// </summary>
    public ProtocolRefusal ResolveStream(byte number, out ProtocolId? protocol, out IProtocolHandler? handler)
    {
        var refusal = _protocols.Resolve(number, out protocol, out handler);
        if (refusal != ProtocolRefusal.None)
        {
            _connection.Dropped(ProtocolRefusals.Tag(refusal));
        }

        return refusal;
    }

    /// <summary>Runs the handler for an accepted stream, then closes the stream (reset with Failed if the handler failed).</summary>
    public async Task ServeStreamAsync(TransportStream stream, IProtocolHandler handler)
    {
        var closeWith = ProtocolRefusal.Cancelled;
        try
        {
            await handler.HandleStreamAsync(_connection, stream, _connection.Closed);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !_connection.Closed.IsCancellationRequested)
        {
            closeWith = ProtocolRefusal.Failed;

            // A transport failure is the peer's doing (a reset, a dead link); anything else is our bug.
            if (ex is not TransportException)
            {
                Log.HandlerFailed(_logger, _connection.RemotePeer.ToString(), ex);
            }
        }
        finally
        {
            await stream.CloseAsync(closeWith);
        }
    }

    private ProtocolRefusal Resolve(byte number, TrafficClass expected, out IProtocolHandler? handler)
    {
        var refusal = _protocols.Resolve(number, out var protocol, out handler);
        return refusal == ProtocolRefusal.None && protocol!.Class != expected ? ProtocolRefusal.WrongClass : refusal;
    }

    private async Task ServeRequestAsync(IProtocolHandler handler, uint id, bool urgent, byte[] request, int length)
    {
        var response = new PooledBufferWriter();
        try
        {
            var failed = false;
            try
            {
                await handler.HandleRequestAsync(_connection, request.AsMemory(0, length), response, _connection.Closed);
                if (response.WrittenCount > _options.MaxFrameBytes - FrameHeader.Size)
                {
                    failed = true;
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !_connection.Closed.IsCancellationRequested)
            {
                // A failing handler answers this request with an error; it must not take the connection down.
                Log.HandlerFailed(_logger, _connection.RemotePeer.ToString(), ex);
                failed = true;
            }

            if (failed)
            {
                await _connection.SendResponseAsync(id, urgent, ProtocolRefusal.Failed, default);
            }
            else
            {
                await _connection.SendResponseAsync(id, urgent, ProtocolRefusal.None, response.WrittenMemory);
            }
        }
        catch (Exception ex) when (ex is TransportException or OperationCanceledException)
        {
            // The connection closed while serving; the requester learns from that.
        }
        finally
        {
            response.Dispose();
            ArrayPool<byte>.Shared.Return(request);
            Interlocked.Decrement(ref _requests);
            _connection.EndOperation();
        }
    }

    private async Task ServeMessageAsync(IProtocolHandler handler, byte[] message, int length)
    {
        try
        {
            await handler.HandleMessageAsync(_connection, message.AsMemory(0, length), _connection.Closed);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !_connection.Closed.IsCancellationRequested)
        {
            Log.HandlerFailed(_logger, _connection.RemotePeer.ToString(), ex);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(message);
            Interlocked.Decrement(ref _messages);
        }
    }
}
