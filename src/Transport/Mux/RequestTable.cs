using System.Buffers;
using Overlay.Crypto;
using Overlay.Transport.Framing;

namespace Overlay.Transport.Mux;

/// <summary>
/// The requests a <see cref="MuxConnection"/> sent and still waits on, by request id: each ends with its
/// response, its refusal (an error response's <see cref="ProtocolRefusal"/>), its timeout, its caller's
/// cancellation, or the connection's end. It owns the table and its lock.
/// </summary>
internal sealed class RequestTable
{
    private readonly object _lock = new();
    private readonly Dictionary<uint, TaskCompletionSource<TransportResponse>> _pending = [];
    private uint _nextId;

    /// <summary>Adds a request; <paramref name="canAdd"/> runs under the table's lock (throw to refuse).</summary>
    public uint Add(TaskCompletionSource<TransportResponse> completion, Action canAdd)
    {
        lock (_lock)
        {
            canAdd();
            var id = ++_nextId;
            _pending.Add(id, completion);
            return id;
        }
    }

    public void Remove(uint id)
    {
        lock (_lock)
        {
            _pending.Remove(id);
        }
    }

    /// <summary>Completes the request a Response frame answers; false when none waits for it (a late answer).</summary>
    public bool Complete(FrameHeader h, ReadOnlySequence<byte> payload, PeerId peer)
    {
        TaskCompletionSource<TransportResponse>? completion;
        lock (_lock)
        {
            _pending.Remove(h.Id, out completion);
        }

        if (completion is null)
        {
            return false;
        }

        if ((h.Flags & FrameFlags.Error) != 0)
        {
            completion.TrySetException(ProtocolRefusals.RequestRefused(peer, ProtocolRefusals.Read(payload.FirstSpan[0])));
        }
        else
        {
            var response = new TransportResponse(payload);
            if (!completion.TrySetResult(response))
            {
                // The request timed out or was cancelled at the same moment.
                response.Dispose();
            }
        }

        return true;
    }

    /// <summary>The connection ended: every waiting request fails with <paramref name="failure"/>.</summary>
    public void FailAll(TransportException failure)
    {
        TaskCompletionSource<TransportResponse>[] pending;
        lock (_lock)
        {
            pending = [.. _pending.Values];
            _pending.Clear();
        }

        foreach (var p in pending)
        {
            p.TrySetException(failure);
        }
    }
}
