using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using Overlay.Crypto;
using Overlay.Dht.Records;

namespace Overlay.Dht.Lookup;

// What a lookup's requests report to the lookup that runs them (DhtClient): an answer or failure, a
// local bug to rethrow, and the moments a request passes its expected time and the lookup's patience.

internal enum LookupEventKind : byte
{
    Answer,
    Slow,
    GaveUp,
    Fault,
}

// ElapsedMs includes a handshake when the request needed a new connection: only a fallback for the table.
internal readonly record struct LookupReply(bool Failed, IReadOnlyList<DhtPeer> Closer, DhtRecord? Record, double ElapsedMs, bool RateLimited = false);

internal readonly record struct LookupEvent(PeerId Peer, LookupEventKind Kind, LookupReply Reply, ExceptionDispatchInfo? Fault = null);

/// <summary>One timer per lookup request on the injected clock: reports "slow", then "give up".</summary>
internal sealed class RequestWatch : IDisposable
{
    private readonly PeerId _peer;
    private readonly TimeSpan _hedge;
    private readonly TimeSpan _giveUp;
    private readonly ITimer? _timer;
    private bool _slowReported;

    public RequestWatch(PeerId peer, ChannelWriter<LookupEvent> events, TimeSpan hedge, TimeSpan giveUp, TimeProvider time)
    {
        _peer = peer;
        Events = events;
        _hedge = hedge;
        _giveUp = giveUp;
        var first = hedge != Timeout.InfiniteTimeSpan ? hedge : giveUp;
        _slowReported = hedge == Timeout.InfiniteTimeSpan;
        if (first != Timeout.InfiniteTimeSpan)
        {
            _timer = time.CreateTimer(static s => ((RequestWatch)s!).Fire(), this, first, Timeout.InfiniteTimeSpan);
        }
    }

    public ChannelWriter<LookupEvent> Events { get; }

    public void Dispose() => _timer?.Dispose();

    private void Fire()
    {
        if (!_slowReported)
        {
            _slowReported = true;
            Events.TryWrite(new LookupEvent(_peer, LookupEventKind.Slow, default));
            if (_giveUp != Timeout.InfiniteTimeSpan)
            {
                _timer!.Change(_giveUp - _hedge, Timeout.InfiniteTimeSpan);
            }

            return;
        }

        Events.TryWrite(new LookupEvent(_peer, LookupEventKind.GaveUp, default));
    }
}
