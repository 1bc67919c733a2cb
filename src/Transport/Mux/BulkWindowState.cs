using System.Diagnostics;
using Overlay.Transport.Framing;

namespace Overlay.Transport.Mux;

/// <summary>
/// One connection's part in growing bulk streams' windows (docs/TRANSPORT.md, "Bulk windows that grow with
/// the path"): whether it tunes them at all, the window its bulk streams reached, and its round trip, measured
/// with its own timed Ping frames once it carries a tuned bulk stream.
/// </summary>
internal sealed class BulkWindowState
{
    private readonly MuxConnection _connection;
    private int _window;
    private int _samplingStarted;
    private RoundTripSampler? _roundTrip;

    public BulkWindowState(MuxConnection connection, bool tunes, int initialWindow)
    {
        _connection = connection;
        Tunes = tunes;
        _window = initialWindow;
    }

    /// <summary>
    /// Whether bulk streams' windows grow: over TCP+TLS and in memory, to a peer that is not on
    /// loopback, when <see cref="TransportOptions.BulkStreamWindowMaxBytes"/> exceeds the initial window.
    /// </summary>
    public bool Tunes { get; }

    /// <summary>
    /// The receive window a new bulk stream starts with: <see cref="TransportOptions.StreamWindowBytes"/>,
    /// or the largest window a bulk stream of this connection grew to (the path's bandwidth-delay
    /// product does not change from one stream to the next).
    /// </summary>
    public int Window => Volatile.Read(ref _window);

    /// <summary>
    /// The connection's round trip, from its own pings; null until its first tuned bulk stream (most
    /// connections carry none, and a sampler per connection added up at thousands of connections).
    /// </summary>
    public RoundTripSampler? RoundTrip => Volatile.Read(ref _roundTrip);

    /// <summary>The round-trip sampler a tuned bulk stream reads, created with the first one.</summary>
    public RoundTripSampler SamplerForStream
    {
        get
        {
            Debug.Assert(Tunes, "only a tuning connection samples its round trip");
            return Volatile.Read(ref _roundTrip) ?? Interlocked.CompareExchange(ref _roundTrip, new RoundTripSampler(_connection.Time), null) ?? _roundTrip!;
        }
    }

    /// <summary>A bulk stream's receive window grew to <paramref name="window"/>: later bulk streams start there.</summary>
    public void Grew(int window)
    {
        var known = Volatile.Read(ref _window);
        while (window > known)
        {
            var seen = Interlocked.CompareExchange(ref _window, window, known);
            if (seen == known)
            {
                break;
            }

            known = seen;
        }

        TransportMetrics.BulkWindowGrew(window);
    }

    /// <summary>
    /// A tuned bulk stream starts: the first time on this connection, take its first round-trip samples
    /// at once (a stream grows a round trip later, not four), else one when the sampler wants it.
    /// Not when the connection opens: most connections never carry a bulk stream, and a network of
    /// them would spend four pings and pongs each on samples nobody reads.
    /// </summary>
    public void SampleForStream()
    {
        if (RoundTrip is not { } sampler)
        {
            return;
        }

        if (Interlocked.Exchange(ref _samplingStarted, 1) != 0)
        {
            Probe();
            return;
        }

        while (!_connection.IsClosing && sampler.TryStart(keepAlive: false, out var id))
        {
            SendPing(id);
        }
    }

    /// <summary>Sends a timed Ping when the round-trip sampler wants a sample, or has none sent after <paramref name="wantedAfter"/> (a timestamp).</summary>
    public void Probe(long wantedAfter = long.MinValue)
    {
        if (!_connection.IsClosing && RoundTrip is { } sampler && sampler.TryStart(keepAlive: false, out var id, wantedAfter))
        {
            SendPing(id);
        }
    }

    /// <summary>The id a keep-alive Ping carries: a timed one when a sample is due, else 0.</summary>
    public uint KeepAlivePingId()
    {
        var id = 0u;
        RoundTrip?.TryStart(keepAlive: true, out id);
        return id;
    }

    /// <summary>A Pong arrived: a sample when it answers a timed ping.</summary>
    public void OnPong(uint id) => RoundTrip?.OnPong(id);

    private void SendPing(uint id) => _connection.SendPing(id);
}
